from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.vetting_list, name="list"),
    path("vet/", views.vet, name="vet"),
    path("<int:vetting_id>/", views.vetting_detail, name="detail"),
    path("<int:vetting_id>/apply/", views.vetting_apply, name="apply"),
]
