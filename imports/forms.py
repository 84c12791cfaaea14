"""The Imports page's forms, rendered here and posted to the jobs app (``jobs.views``), which
checks them again as a job's arguments."""

from django import forms


class VetForm(forms.Form):
    folder = forms.CharField(
        max_length=4096,
        widget=forms.TextInput(attrs={"list": "import-folders", "size": 60}),
        help_text="A folder inside MUSICQUALITY_IMPORT_ROOTS.",
    )


class ApplyForm(forms.Form):
    into = forms.CharField(
        required=False,
        max_length=4096,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="Where new files go: a folder inside MUSICQUALITY_LIBRARY_ROOTS.",
    )
    reject_dir = forms.CharField(
        required=False,
        max_length=4096,
        widget=forms.TextInput(attrs={"size": 60}),
        help_text="Optional: duplicate and uncertain files selected go to DIR/<verdict>/.",
    )
