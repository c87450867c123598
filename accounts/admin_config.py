"""Django's admin app with our site class (accounts.admin_site: staff need a second factor).

Its own module: ``accounts.apps`` keeps a single AppConfig, which Django picks by default.
"""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "accounts.admin_site.AdminSite"
