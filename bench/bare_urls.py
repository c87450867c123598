"""URLconf of the floor (``bench.bare_settings``): one DRF list of contacts, by company id, nothing else."""

from __future__ import annotations

from django.db import models
from django.db.models import QuerySet
from django.urls import path
from rest_framework import generics, serializers
from rest_framework.pagination import PageNumberPagination


class PlainContact(models.Model):
    """The same contacts as ``ledger.Contact``, in the clear, in a table without row-level security."""

    company_id = models.BigIntegerField()
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    address = models.TextField(blank=True)
    created_at = models.DateTimeField()
    objects: models.Manager[PlainContact] = models.Manager()

    class Meta:
        app_label = "bench"
        managed = False
        db_table = "bench_plain_contact"

    def __str__(self) -> str:
        return f"Plain contact #{self.pk}"


class PlainContactSerializer(serializers.ModelSerializer):
    class Meta:
        model = PlainContact
        fields = ["id", "name", "email", "phone", "address", "created_at"]


class Pages(PageNumberPagination):
    page_size = 25  # the API's page size


class PlainContactList(generics.ListAPIView):
    serializer_class = PlainContactSerializer
    pagination_class = Pages

    def get_queryset(self) -> QuerySet[PlainContact]:
        return PlainContact.objects.filter(company_id=self.kwargs["company_id"]).order_by("name", "id")


urlpatterns = [path("bare/companies/<int:company_id>/contacts/", PlainContactList.as_view())]
