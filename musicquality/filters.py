"""Form widgets shared by the filter forms of every app."""

from django import forms

#: A yes/no/any choice for a nullable boolean filter (``?lossless=true``).
ANY_YES_NO = forms.Select(choices=[("", "any"), ("true", "yes"), ("false", "no")])
