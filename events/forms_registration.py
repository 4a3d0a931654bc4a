"""Input of the registration pages: clear messages, no writes (the services do those)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Registration


class RegistrationForm(forms.Form):
    """Guests give a name and an e-mail address; everyone picks how to attend a hybrid event."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("We send a link to this address; your registration counts once you open it."),
        error_messages={"invalid": _("Enter a valid e-mail address, such as name@example.org.")},
    )
    attendance = forms.ChoiceField(
        label=_("How will you attend?"), choices=Registration.Attendance.choices, widget=forms.RadioSelect
    )

    def __init__(self, *args, guest: bool, attendance_choices: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        if not guest:
            del self.fields["name"]
            del self.fields["email"]
        else:
            self.fields["name"].widget.attrs["autocomplete"] = "name"
            self.fields["email"].widget.attrs["autocomplete"] = "email"
        labels = dict(Registration.Attendance.choices)
        self.fields["attendance"].choices = [(choice, labels[choice]) for choice in attendance_choices]
        self.fields["attendance"].initial = attendance_choices[0]
        if len(attendance_choices) == 1:
            self.fields["attendance"].widget = forms.HiddenInput()
