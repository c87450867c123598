from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from privacy import policy


def policy_notice(request: HttpRequest) -> dict[str, object]:
    """The banner of a material policy change the signed-in user has not read (ACC-3).

    Lazy: the query runs only where the layout shows the banner.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"policy_notice": SimpleLazyObject(lambda: policy.unread_notice(user) or False)}
