from django.urls import path

from quality import views

urlpatterns = [
    path("", views.LibraryFileListView.as_view(), name="file_list"),
    path("unreadable/", views.unreadable_list, name="unreadable_files"),
]
