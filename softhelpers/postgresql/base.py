"""Django's PostgreSQL backend, told that a tenant table's database primary key is ``(company_id, id)``.

Django groups an aggregate query by a model's primary key alone (PostgreSQL then allows the other
columns by functional dependency). The tenant tables' key is ``(company_id, id)`` in the database
while the models keep ``id`` (accounts/distribution.py), so ``GROUP BY id`` would be refused: for
those models Django groups by every selected column instead, which is correct for any key.
"""

from __future__ import annotations

from typing import Any

from django.db.backends.postgresql import base, features


class DatabaseFeatures(features.DatabaseFeatures):
    def allows_group_by_selected_pks_on_model(self, model: Any) -> bool:
        from accounts.tenancy import TenantModel

        return not issubclass(model, TenantModel) and super().allows_group_by_selected_pks_on_model(model)


class DatabaseWrapper(base.DatabaseWrapper):
    features_class = DatabaseFeatures
