from django.urls import path

from . import views

app_name = "outcomes"

urlpatterns = [
    path(
        "events/<slug:event_slug>/outcomes/",
        views.EventOutcomesView.as_view(),
        name="event-outcomes",
    ),
    path("convergence-matrix/", views.MatrixView.as_view(), name="matrix"),
    path(
        "convergence-matrix.<str:file_format>",
        views.matrix_download,
        name="matrix-download",
    ),
]
