import pytest
from django.core.exceptions import ValidationError

from hubsite.forms import BoundedModelMultipleChoiceField
from researchers.models import Theme
from tests.factories import ThemeFactory

pytestmark = pytest.mark.django_db


def test_an_id_no_column_can_hold_is_an_invalid_choice_not_a_server_error():
    field = BoundedModelMultipleChoiceField(queryset=Theme.objects.all())
    with pytest.raises(ValidationError) as refused:
        field.clean(["9223372036854775808"])
    assert refused.value.messages == [
        "Select a valid choice. 9223372036854775808 is not one of the available choices."
    ]


def test_ordinary_ids_still_choose_rows():
    theme = ThemeFactory()
    field = BoundedModelMultipleChoiceField(queryset=Theme.objects.all())
    assert list(field.clean([str(theme.pk)])) == [theme]
