from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from quality.models import FileQuality, LibraryFile


@login_required
def home(request):
    context = {
        "files": LibraryFile.objects.filter(is_active=True).count(),
        "analysed": FileQuality.objects.count(),
    }
    return render(request, "home.html", context)
