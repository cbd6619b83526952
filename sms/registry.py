"""The message templates as the providers see them: fixed text and typed, short variables.

Aliyun and Tencent send only templates registered with them and approved; each message
names its template and gives the variables' values. This registry says, per message, its
provider type (verification or notification) and each variable's type and maximum length;
the wording stays in ``sms/templates/sms/<language>/<name>.txt``, where ``{{ name }}`` is
a variable and ``{{ site }}`` / ``{{ minutes }}`` are constants (fixed text of the
registered template, filled in from settings). ``manage.py sms_templates`` prints what the
operator registers; ``sms.services.queue_message`` checks every message against it before
it is queued, ``sms.messages.build_sms`` again before it is sent. One template is
registered per message and language: ``SMS_TEMPLATE_IDS["confirmation"]`` (Chinese, the
default language) and ``SMS_TEMPLATE_IDS["confirmation:en"]``.

The providers' rules used here (their documentation as read in 2025):

- Aliyun, variable attributes (help.aliyun.com/document_detail/2806243.html): a
  verification code ("仅数字", ``numberCaptcha``) is the template's single variable, 4–6
  digits; a phone number (``phone_number2``) is a mainland fixed line of 5–13 digits and
  hyphens, at most 15 characters; a time (``time``) is a date such as YYYY-MM-DD or a time
  hh:mm — "12月8日" is not among the documented forms, so dates are sent as month and day
  with 月/日 (or the English month) as fixed text; other numbers (``other_number2``) are
  letters and digits; anything else is "其他" (``others``).
- Aliyun, notification templates (help.aliyun.com/document_detail/463270.htm): no 【】
  anywhere (the signature's brackets); contact numbers only fixed lines, 400 or 95
  numbers, at most two; a link only as fixed text on a domain with ICP filing; at most 500
  characters with the variables.
- Aliyun, error codes (help.aliyun.com/document_detail/101346.html and
  help.aliyun.com/zh/document_detail/3041842.html): ``isv.PARAM_NOT_SUPPORT_URL`` (a link
  in a variable), ``isv.PARAM_LENGTH_LIMIT`` ("单个变量长度限制在20字符内" in its older
  text), ``isv.TEMPLATE_PARAMS_ILLEGAL`` (a value its type refuses),
  ``isv.TEMPLATE_MISSING_PARAMETERS``, ``isv.SMS_TEMPLATE_ILLEGAL`` (unknown template).
- Tencent (cloud.tencent.com/document/product/382/39023): variables ``{1}``, ``{2}`` …
  numbered from 1 without gaps, never two side by side; no link in a variable
  (``InvalidParameterValue.ProhibitedUseUrlInTemplateParameter``); a verification code
  is at most 6 digits (``InvalidParameterValue.TemplateParameterFormatError``); signature,
  text and values at most 500 characters. The length of a variable is what the console
  grants: personal accounts 12 characters (tencentcloud.com/document/product/382/40659),
  accounts opened after 25 January 2024 or long unused 6 by default (the SDK's text for
  ``InvalidParameterValue.TemplateParameterLengthLimit``,
  tencentcloud/sms/v20210111/errorcodes.py); a wrong number of values is
  ``FailedOperation.TemplateParamSetNotMatchApprovedTemplate``, an unknown template
  ``FailedOperation.TemplateIncorrectOrUnapproved``.

So every variable here is at most 12 characters (Aliyun's 20 and Tencent's 12 both hold),
except the office's phone at most 15 (Aliyun's phone type); "other" values carry no link,
no phone number and no 【】. Values are made to fit by rule (``fit_office``: the office's
name and place as the texts say them, ``Office.sms_name`` and ``Office.sms_place``), never
cut: a value that does not fit is a ``Problem`` naming what to shorten.

Known limits: a Tencent account at the default of 6 characters cannot send the office's
name, place or phone or the 8-digit reference until Tencent grants the lengths printed by
``manage.py sms_templates``; the providers' reviewers may still ask for other wording; the
constants are part of the registered text, so changing ``SITE_URL`` or the
sign-in code's validity means registering the templates again.
"""

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from django.conf import settings
from django.template import Context, Engine

LANGUAGES = ("zh-hans", "en")
DEFAULT_LANGUAGE = "zh-hans"
#: Minutes a sign-in code is valid: fixed text of the sign-in template.
LOGIN_CODE_MINUTES = 10
#: ``Message.error_code`` of a message refused before it was queued or sent.
DOES_NOT_FIT = "does_not_fit"
PROVIDERS = ("alibaba", "tencent")


class TemplateType(StrEnum):
    VERIFICATION = "verification"
    NOTIFICATION = "notification"


class VariableType(StrEnum):
    CODE = "code"  # a verification code: digits only
    NUMBER = "number"  # letters and digits: a day of the month, a reference code
    TIME = "time"  # hh:mm
    PHONE = "phone"  # the office's fixed line, 400 or 95 number: digits and hyphens
    TEXT = "text"  # anything else ("other"): a name, a place, a word


#: How each provider names the template types and variable types (Aliyun: the console's
#: attribute and the ``TemplateRule`` code of CreateSmsTemplate).
PROVIDER_TEMPLATE_TYPES = {
    "alibaba": {TemplateType.VERIFICATION: "验证码", TemplateType.NOTIFICATION: "短信通知"},
    "tencent": {TemplateType.VERIFICATION: "验证码短信", TemplateType.NOTIFICATION: "通知短信"},
}
PROVIDER_VARIABLE_TYPES = {
    "alibaba": {
        VariableType.CODE: "仅数字 (numberCaptcha)",
        VariableType.NUMBER: "其他号码 (other_number2)",
        VariableType.TIME: "时间 (time)",
        VariableType.PHONE: "电话号码 (phone_number2)",
        VariableType.TEXT: "其他 (others)",
    },
    "tencent": {
        VariableType.CODE: "验证码",
        VariableType.NUMBER: "其他号码",
        VariableType.TIME: "时间",
        VariableType.PHONE: "电话号码",
        VariableType.TEXT: "其他",
    },
}
ALIBABA_RULE_CODES = {
    VariableType.CODE: "numberCaptcha",
    VariableType.NUMBER: "other_number2",
    VariableType.TIME: "time",
    VariableType.PHONE: "phone_number2",
    VariableType.TEXT: "others",
}
#: The most each provider takes for a variable of each type (see the module docstring).
PROVIDER_MAX_LENGTHS = {
    "alibaba": {
        VariableType.CODE: 6,
        VariableType.NUMBER: 20,
        VariableType.TIME: 20,
        VariableType.PHONE: 15,
        VariableType.TEXT: 20,
    },
    "tencent": {
        VariableType.CODE: 6,
        VariableType.NUMBER: 12,
        VariableType.TIME: 12,
        VariableType.PHONE: 15,
        VariableType.TEXT: 12,
    },
}
TEMPLATE_MAX_LENGTH = 500  # both providers, values included


@dataclass(frozen=True)
class Variable:
    name: str
    type: VariableType
    max_length: int
    min_length: int = 1
    #: What to change when a value does not fit (for the operator).
    fix: str = ""


@dataclass(frozen=True)
class Template:
    name: str
    type: TemplateType
    variables: tuple[Variable, ...]
    #: What the message is for, as the provider's review asks ("申请说明").
    purpose: str

    def variable(self, name: str) -> Variable:
        return next(variable for variable in self.variables if variable.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(variable.name for variable in self.variables)


@dataclass(frozen=True)
class Problem:
    """Why a value cannot go into its variable."""

    variable: str
    detail: str
    fix: str = ""

    def __str__(self) -> str:
        return f"{self.variable}: {self.detail}" + (f" ({self.fix})" if self.fix else "")


class MessageDoesNotFit(ValueError):
    def __init__(self, template: str, problems: list[Problem]):
        self.template = template
        self.problems = problems
        super().__init__(f"{template}: " + "; ".join(map(str, problems)))


_OFFICE_NAME = "shorten the office's “name in text messages” (Office.sms_name)"
_PLACE = "shorten the office's “place in text messages” (Office.sms_place)"
_PHONE = "give the office's fixed line, 400 or 95 number, digits and hyphens (Office.phone)"


def _text(name: str, max_length: int, fix: str = "") -> Variable:
    return Variable(name, VariableType.TEXT, max_length, fix=fix)


def _number(name: str, max_length: int, min_length: int = 1) -> Variable:
    return Variable(name, VariableType.NUMBER, max_length, min_length)


def _time(name: str) -> Variable:
    return Variable(name, VariableType.TIME, 5, 5)


def _date(prefix: str) -> tuple[Variable, ...]:
    """A day as month ("12" or "Dec") and day of the month, with the words around them
    fixed text."""
    return (_text(f"{prefix}month", 3), _number(f"{prefix}day", 2))


OFFICE_NAME = _text("office_name", 12, _OFFICE_NAME)
PLACE = _text("place", 12, _PLACE)
OFFICE_PHONE = Variable("office_phone", VariableType.PHONE, 15, 5, fix=_PHONE)
REFERENCE = _number("reference", 8, 8)
WHEN = (*_date(""), _text("weekday", 3), _time("time"))
SIGNATURE = (OFFICE_NAME, OFFICE_PHONE)
COUNTS = tuple(
    _text(name, 8)
    for name in ("consultations", "attended", "no_shows", "walk_ins", "desk_bookings")
)
_APPOINTMENT = (*WHEN, PLACE, REFERENCE, *SIGNATURE)
_SAFE = (*WHEN, REFERENCE)
_FOLLOW_UP = (*_date("by_"), _number("booking_code", 8, 8))
_NOTICE = TemplateType.NOTIFICATION

REGISTRY: dict[str, Template] = {
    template.name: template
    for template in (
        Template(
            "login_code",
            TemplateType.VERIFICATION,
            (Variable("code", VariableType.CODE, 6, 4),),
            "Sign-in code for residents of the legal-aid booking site.",
        ),
        Template("confirmation", _NOTICE, _APPOINTMENT, "Confirms a booked consultation."),
        Template("confirmation_safe", _NOTICE, _SAFE, "Confirms a booking, discreetly."),
        Template("reminder", _NOTICE, _APPOINTMENT, "Reminds of a booked consultation."),
        Template("reminder_safe", _NOTICE, _SAFE, "Reminds of a booking, discreetly."),
        Template(
            "cancellation",
            _NOTICE,
            (*WHEN, REFERENCE, *SIGNATURE),
            "Tells that a consultation is cancelled.",
        ),
        Template("cancellation_safe", _NOTICE, _SAFE, "Tells of a cancellation, discreetly."),
        Template("reschedule", _NOTICE, _APPOINTMENT, "Tells the new time of a consultation."),
        Template("reschedule_safe", _NOTICE, _SAFE, "Tells a new time, discreetly."),
        Template(
            "follow_up",
            _NOTICE,
            (*_FOLLOW_UP, *SIGNATURE),
            "Invites a resident to book the follow-up a lawyer asked for, on the site.",
        ),
        Template(
            "follow_up_safe",
            _NOTICE,
            _FOLLOW_UP,
            "Invites a resident to book a follow-up, discreetly.",
        ),
        Template(
            "summary",
            _NOTICE,
            (OFFICE_NAME, *COUNTS, *_date("next_"), _time("next_time")),
            "The day's counts, to the office's own head.",
        ),
        Template(
            "summary_no_free_time",
            _NOTICE,
            (OFFICE_NAME, *COUNTS),
            "The day's counts, to the office's own head, when no time is free.",
        ),
    )
}


#: Values a message might have, per language: the examples of ``manage.py sms_templates``.
EXAMPLES = {
    "zh-hans": {
        "code": "482913",
        "month": "12",
        "day": "8",
        "weekday": "星期二",
        "time": "09:30",
        "place": "青石镇政府一楼",
        "reference": "38172054",
        "office_name": "青石镇司法所",
        "office_phone": "0731-57860148",
        "by_month": "12",
        "by_day": "20",
        "booking_code": "52718364",
        "consultations": "23",
        "attended": "17",
        "no_shows": "1-4",
        "walk_ins": "0",
        "desk_bookings": "6",
        "next_month": "12",
        "next_day": "9",
        "next_time": "14:30",
    },
}
EXAMPLES["en"] = EXAMPLES["zh-hans"] | {
    "month": "Dec",
    "weekday": "Tue",
    "by_month": "Dec",
    "next_month": "Dec",
}


def template(name: str) -> Template:
    if name not in REGISTRY:
        raise KeyError(f"Unknown message {name!r}.")
    return REGISTRY[name]


def language_of(language: str) -> str:
    return language if language in LANGUAGES else DEFAULT_LANGUAGE


def registration_key(name: str, language: str) -> str:
    """The key of ``SMS_TEMPLATE_IDS`` for this message in this language."""
    language = language_of(language)
    return name if language == DEFAULT_LANGUAGE else f"{name}:{language}"


def registration_keys(languages=LANGUAGES) -> list[str]:
    return [registration_key(name, language) for name in REGISTRY for language in languages]


# Constants: fixed text of the registered templates ----------------------------------------


def site_address() -> str:
    """Where a follow-up invitation sends the resident: the site's address
    (``SITE_URL``) and the page that takes the code."""
    from django.urls import reverse

    base = (getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return base + reverse("booking:follow_up_code")


def constants() -> dict[str, str]:
    return {"site": site_address(), "minutes": str(LOGIN_CODE_MINUTES)}


CONSTANT_NAMES = ("site", "minutes")


# The texts ----------------------------------------------------------------------------------


@cache
def _engine() -> Engine:
    # Plain text: no HTML escaping of names such as "A&B".
    return Engine(app_dirs=True, autoescape=False)


def _render(name: str, context: dict[str, str], language: str) -> str:
    source = _engine().get_template(f"sms/{language_of(language)}/{name}.txt")
    return " ".join(source.render(Context(context, autoescape=False)).split())


def render(name: str, values: dict[str, str], language: str) -> str:
    """The message's whole text, as the recipient reads it after the signature."""
    template(name)
    return _render(name, {**values, **constants()}, language)


_OPEN, _CLOSE = "\ue000", "\ue001"  # never whitespace, never in a text
_MARKER = re.compile(f"{_OPEN}(\\w+){_CLOSE}")
_PLACEHOLDER = re.compile(r"{{\s*(\w+)\s*}}")


def _marked(name: str, language: str, *, filled: bool = True) -> str:
    """The text with each variable marked; the constants filled in, or left as names."""
    marks = {variable: f"{_OPEN}{variable}{_CLOSE}" for variable in template(name).names}
    fixed = constants() if filled else {constant: constant for constant in CONSTANT_NAMES}
    return _render(name, {**marks, **fixed}, language)


def placeholders(name: str, language: str) -> list[str]:
    """The names the text file uses, in its order (variables and constants)."""
    path = f"sms/{language_of(language)}/{name}.txt"
    source = _engine().get_template(path).source
    return _PLACEHOLDER.findall(source)


def order(name: str, language: str) -> tuple[str, ...]:
    """The variables in the order of the text in ``language``: Tencent's {1}, {2} …"""
    return tuple(_MARKER.findall(_marked(name, language, filled=False)))


def provider_text(name: str, language: str, provider: str) -> str:
    """The template as the operator registers it: ``${name}`` (Aliyun) or ``{1}`` (Tencent)."""
    marked = _marked(name, language)
    if provider == "alibaba":
        return _MARKER.sub(lambda match: "${" + match.group(1) + "}", marked)
    if provider == "tencent":
        numbers = {variable: index for index, variable in enumerate(order(name, language), 1)}
        return _MARKER.sub(lambda match: "{" + str(numbers[match.group(1)]) + "}", marked)
    raise ValueError(f"Unknown provider {provider!r}.")


def values_of(name: str, params: dict, language: str) -> dict[str, str]:
    """The template's variables from a message's parameters, in the text's order (other
    keys, such as the sign-in limits' marks, stay in the outbox row)."""
    return {variable: str(params.get(variable, "")) for variable in order(name, language)}


# What each type accepts -----------------------------------------------------------------

_URL = re.compile(r"[a-z][a-z0-9+.-]*://|www\.|[a-z0-9-]+\.(?:[a-z]{2,})(?:[/:]|\b)", re.IGNORECASE)
_PHONE_LIKE = re.compile(r"\d(?:[\s\-]?\d){6,}")  # seven digits or more, spaced or not
_FORBIDDEN = set("【】[]{}$") | {"\n", "\r", "\t"}
_TIME = re.compile(r"(?:[01]\d|2[0-3]):[0-5]\d")
_LANDLINE = re.compile(r"\d[\d-]{3,13}\d")


def _type_problem(variable: Variable, value: str) -> str | None:
    kind = variable.type
    if kind == VariableType.CODE and not (value.isascii() and value.isdigit()):
        return "digits only"
    if kind == VariableType.NUMBER and not (value.isascii() and value.isalnum()):
        return "letters and digits only"
    if kind == VariableType.TIME and not _TIME.fullmatch(value):
        return "a time as hh:mm"
    if kind == VariableType.PHONE:
        digits = value.replace("-", "")
        if not _LANDLINE.fullmatch(value) or not digits.isdigit() or not 5 <= len(digits) <= 13:
            return "a fixed line, 400 or 95 number: 5 to 13 digits and hyphens"
        if re.fullmatch(r"1\d{10}", digits):
            return "a fixed line, 400 or 95 number: notifications may not give a mobile one"
    if kind == VariableType.TEXT:
        if _FORBIDDEN & set(value):
            return "without brackets, braces, $ or line breaks, which templates reserve"
        if _URL.search(value):
            return "without a link, which only the fixed text may carry"
        if _PHONE_LIKE.search(value):
            return "without a phone number, which only a phone variable may carry"
    return None


def template_problems(checked: Template, values: dict) -> list[Problem]:
    """Everything wrong with ``values`` for the template's variables (none: it may go)."""
    found = []
    for variable in checked.variables:
        value = values.get(variable.name)
        value = "" if value is None else str(value)
        if not value:
            found.append(Problem(variable.name, "empty", variable.fix))
            continue
        if not variable.min_length <= len(value) <= variable.max_length:
            found.append(
                Problem(
                    variable.name,
                    f"{len(value)} characters, {variable.min_length} to "
                    f"{variable.max_length} allowed",
                    variable.fix,
                )
            )
            continue
        wrong = _type_problem(variable, value)
        if wrong:
            found.append(Problem(variable.name, f"must be {wrong}", variable.fix))
    return found


def problems(name: str, values: dict) -> list[Problem]:
    return template_problems(template(name), values)


def check(name: str, values: dict) -> None:
    """Raise ``MessageDoesNotFit`` unless every variable of the message fits."""
    found = problems(name, values)
    if found:
        raise MessageDoesNotFit(name, found)


# Fitting an office's details -----------------------------------------------------------


def fit_office(*, name: str, sms_name: str, sms_place: str, phone: str) -> dict[str, str]:
    """The office's name, place and phone as the texts give them: the short forms kept on
    the office (``Office.sms_name``, ``Office.sms_place``, else the name), the phone with
    full-width characters made plain and spaces removed ("0731-5786 0148" →
    "0731-57860148"). Nothing is cut: what is too long stays too long, and ``problems``
    says which field to shorten."""
    short_name = (sms_name or "").strip() or (name or "").strip()
    place = (sms_place or "").strip() or short_name
    plain_phone = "".join(unicodedata.normalize("NFKC", phone or "").split())
    return {"office_name": short_name, "place": place, "office_phone": plain_phone}


_OFFICE = Template("office", TemplateType.NOTIFICATION, (OFFICE_NAME, PLACE, OFFICE_PHONE), "")


def office_problems(*, name: str, sms_name: str, sms_place: str, phone: str) -> dict[str, Problem]:
    """The office's fields (``sms_name``, ``sms_place``, ``phone``) whose values cannot go
    into the texts, with why. A place taken from the short name fails with it: told once."""
    values = fit_office(name=name, sms_name=sms_name, sms_place=sms_place, phone=phone)
    fields = {"office_name": "sms_name", "office_phone": "phone"}
    if (sms_place or "").strip():
        fields["place"] = "sms_place"
    return {
        fields[problem.variable]: problem
        for problem in template_problems(_OFFICE, values)
        if problem.variable in fields
    }
