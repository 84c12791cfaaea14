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
    select = forms.TypedMultipleChoiceField(coerce=int, required=True, choices=())

    def __init__(self, *args, file_ids=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["select"].choices = [(pk, pk) for pk in file_ids]
        self.fields["select"].error_messages["required"] = "select at least one file to apply"
