from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def account_list(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/list.html")
