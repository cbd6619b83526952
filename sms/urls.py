from django.urls import path

from sms import views

app_name = "sms"

urlpatterns = [
    path("callbacks/<str:token>/alibaba/", views.alibaba_reports, name="alibaba_reports"),
    path("callbacks/<str:token>/tencent/", views.tencent_reports, name="tencent_reports"),
    path("callbacks/<str:token>/twilio/", views.twilio_reports, name="twilio_reports"),
]
