from django.urls import path

from quality import views

urlpatterns = [
    path("", views.LibraryFileListView.as_view(), name="file_list"),
]
