import factory

from outcomes.models import Action, Outcome
from tests.agenda.factories import EventFactory


class OutcomeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Outcome

    event = factory.SubFactory(EventFactory)
    summary_es = "<h2>Acuerdos</h2><p>Los organismos acordaron una hoja de ruta.</p>"
    summary_en = "<h2>Agreements</h2><p>The organisations agreed a roadmap.</p>"
    is_published = True


class ActionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Action
        skip_postgeneration_save = True

    outcome = factory.SubFactory(OutcomeFactory)
    description_es = factory.Sequence(lambda n: f"Acción {n}")
    description_en = factory.Sequence(lambda n: f"Action {n}")
    horizon = Action.Horizon.MEDIUM_TERM
    status = Action.Status.AGREED
    order = factory.Sequence(lambda n: n)

    @factory.post_generation
    def leads(self, create, organisations, **kwargs):
        if create and organisations:
            self.lead_organisations.set(organisations)

    @factory.post_generation
    def participants(self, create, organisations, **kwargs):
        if create and organisations:
            self.participating_organisations.set(organisations)
