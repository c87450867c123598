"""Forms of the privacy app: the public inquiry form and the officer's answer, extension and closing forms."""

from __future__ import annotations

from django import forms

from privacy import inquiries
from privacy.models import Inquiry

HONEYPOT = "website"


class InquiryForm(forms.Form):
    """Anyone's question or complaint to the Privacy Officer (ACC-2, CHL-1).

    ``website`` is a honeypot: hidden from sight and from the keyboard, labelled for screen
    readers; a person leaves it empty, a form-filling bot does not (``is_bot``).
    """

    name = forms.CharField(label="Your name", max_length=inquiries.MAX_NAME)
    email = forms.EmailField(label="Your email", max_length=254, help_text="We answer to this address.")
    kind = forms.ChoiceField(label="What is it about?", choices=Inquiry.Kind.choices, widget=forms.RadioSelect)
    message = forms.CharField(label="Your message", max_length=inquiries.MAX_MESSAGE,
                              widget=forms.Textarea(attrs={"rows": 8}))
    website = forms.CharField(label="Leave this field empty", required=False, widget=forms.TextInput(
        attrs={"tabindex": "-1", "autocomplete": "off"}))

    def is_bot(self) -> bool:
        return bool(self.data.get(HONEYPOT, "").strip())


class ExtendForm(forms.Form):
    days = forms.IntegerField(label="Extend by (days)", min_value=1, max_value=inquiries.MAX_EXTENSION_DAYS)
    reason = forms.CharField(label="Reason (sent to the requester)", max_length=inquiries.MAX_TEXT,
                             widget=forms.Textarea(attrs={"rows": 3}))


class AnswerForm(forms.Form):
    text = forms.CharField(label="Answer (emailed to the requester)", max_length=inquiries.MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 8}))


class CloseForm(forms.Form):
    resolution = forms.ChoiceField(label="Resolution", choices=[("", "---------"), *Inquiry.Resolution.choices],
                                   error_messages={"required": "Choose the resolution: closing an inquiry records its outcome."})
    note = forms.CharField(label="Note (optional, not sent)", required=False, max_length=inquiries.MAX_TEXT,
                           widget=forms.Textarea(attrs={"rows": 3}))
