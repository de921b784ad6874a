from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OutcomesConfig(AppConfig):
    name = "outcomes"
    verbose_name = _("Outcomes and convergence matrix")

    def ready(self):
        import pagecache
        from agenda.models import Organisation

        from .models import Action, Outcome

        # The outcomes pages and the convergence matrix are public: a summary edited, an outcome
        # published or withdrawn, an action added, changed, deleted or given other organisations
        # moves the key of every public page at once (the actions' organisations move the action's
        # `updated_at`, outcomes/models.py).
        pagecache.register(Outcome)
        pagecache.register(
            Action,
            watch=[
                Organisation,
                Action.lead_organisations.through,
                Action.participating_organisations.through,
            ],
        )
