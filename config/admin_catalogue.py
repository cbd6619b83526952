"""Django's own admin strings that its Chinese catalogue lacks or words otherwise.

Django 5.2's zh_Hans catalogue misses the strings its admin gained in 5.0–5.2 (the
hidden headings of the index's tables, the user form's note, the password length
rule), so Chinese admin pages showed them in English; and it puts spaces around every
name ("选择 休假 来修改"), where the site's Chinese has none. The project's catalogue
(LOCALE_PATHS) comes before Django's: listing the strings here makes makemessages keep
them there, translated as the site writes. Nothing imports this module.

The JavaScript strings of the admin's selector of many items (SelectFilter2.js), which
the admin's JavaScript catalogue reads from the djangojs domain, are translated in
locale/zh_Hans/LC_MESSAGES/djangojs.po by hand: makemessages makes that domain only from
JavaScript of the project, which has none.
"""

from django.utils.translation import gettext_noop, ngettext_lazy

MISSING = [
    # contrib/admin/templates/admin/app_list.html
    gettext_noop("Model name"),
    gettext_noop("Add link"),
    gettext_noop("Change or view list link"),
    # contrib/admin/templates/admin/auth/user/add_form.html
    gettext_noop("After you’ve created a user, you’ll be able to edit more user options."),
    # contrib/admin/templates/admin/auth/user/change_password.html
    gettext_noop("Error:"),
    # contrib/auth/password_validation.py (MinimumLengthValidator)
    ngettext_lazy(
        "This password is too short. It must contain at least %d character.",
        "This password is too short. It must contain at least %d characters.",
    ),
]

REWORDED = [
    # django/forms/forms.py: after every label of a form Django renders (the admin's)
    gettext_noop(":"),
    gettext_noop("Select %s to change"),
    gettext_noop("Change history: %s"),
    gettext_noop("Select %s to view"),
    gettext_noop("Add %s"),
    gettext_noop("Change %s"),
    gettext_noop("View %s"),
    gettext_noop("%(app)s administration"),
    gettext_noop("Add another %(verbose_name)s"),
    gettext_noop(" By %(filter_title)s "),
    gettext_noop("Delete selected %(verbose_name_plural)s"),
    gettext_noop("Successfully deleted %(count)d %(items)s."),
    gettext_noop("The {name} “{obj}” was added successfully."),
    gettext_noop("You may edit it again below."),
    gettext_noop("The {name} “{obj}” was added successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may edit it again below."),
    gettext_noop("The {name} “{obj}” was changed successfully. You may add another {name} below."),
    gettext_noop("The {name} “{obj}” was changed successfully."),
    gettext_noop("The %(name)s “%(obj)s” was deleted successfully."),
    # contrib/admin/templates/admin/delete_confirmation.html, delete_selected_confirmation.html
    gettext_noop(
        'Are you sure you want to delete the %(object_name)s "%(escaped_object)s"? '
        "All of the following related items will be deleted:"
    ),
    gettext_noop(
        "Are you sure you want to delete the selected %(objects_name)s? All of the "
        "following objects and their related items will be deleted:"
    ),
]
