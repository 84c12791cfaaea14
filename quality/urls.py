from django.urls import path

from quality import views

urlpatterns = [
    path("", views.LibraryFileListView.as_view(), name="file_list"),
    path("<int:file_id>/", views.file_detail, name="file_detail"),
]
