import pytest

from quality.models import FileQuality, LibraryFile
from tests.conftest import LIBRARY_DBS
from tests.factories import file_quality_make, library_file_make


@pytest.mark.django_db(databases=LIBRARY_DBS)
def test_rows_go_to_the_library_database_and_cascade():
    library_file = library_file_make()
    file_quality_make(library_file)
    assert LibraryFile.objects.using("library").count() == 1
    library_file.delete()
    assert FileQuality.objects.using("library").count() == 0
