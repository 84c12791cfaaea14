from django.urls import path

from imports import views

app_name = "imports"

urlpatterns = [
    path("", views.vetting_list, name="list"),
    path("<int:vetting_id>/", views.vetting_detail, name="detail"),
]
