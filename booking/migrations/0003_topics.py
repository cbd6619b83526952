"""The areas of law of docs/design.md, in Chinese and English."""

from django.db import migrations

TOPICS = [
    ("family", "婚姻家庭", "Family and marriage"),
    ("neighbours", "邻里纠纷", "Neighbours"),
    ("debts", "债务纠纷", "Debts"),
    ("land", "土地山林", "Land and forest"),
    ("labour", "劳动与欠薪", "Labour and unpaid wages"),
    ("veterans", "退役军人", "Veterans"),
    ("housing", "房屋与征收拆迁", "Housing and demolition"),
    ("medical", "医疗纠纷", "Medical"),
    ("education", "教育", "Education"),
    ("consumer", "消费维权", "Consumer rights"),
    ("traffic", "交通事故", "Traffic accidents"),
    ("other", "其他", "Other"),
]


def add_topics(apps, schema_editor):
    Topic = apps.get_model("booking", "Topic")
    for position, (code, name_zh_hans, name_en) in enumerate(TOPICS, start=1):
        Topic.objects.update_or_create(
            code=code,
            defaults={"name_zh_hans": name_zh_hans, "name_en": name_en, "position": position * 10},
        )


class Migration(migrations.Migration):
    dependencies = [("booking", "0002_appointment_no_overlap")]

    operations = [migrations.RunPython(add_topics, migrations.RunPython.noop)]
