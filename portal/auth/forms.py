"""Login and password forms, and the password policy as a validator."""

from flask import current_app
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, ValidationError

from portal.auth.passwords import password_problem
from portal.forms import PortalForm


def check_password(form, field):
    """WTForms validator: the password policy, with the form's email and name as personal data."""
    email = form.email.data if hasattr(form, "email") and form.email.data else ""
    name = form.name.data if hasattr(form, "name") and form.name.data else ""
    problem = password_problem(field.data or "", email=email, name=name)
    if problem:
        raise ValidationError(problem)


class LoginForm(PortalForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=256)],
                             render_kw={"autocomplete": "current-password"})
    remember = BooleanField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        days = current_app.config["REMEMBER_COOKIE_DURATION"].days  # PORTAL_REMEMBER_DAYS, enforced on the server
        self.remember.label.text = ngettext("Remember me for %(num)d day", "Remember me for %(num)d days", days)


class ForgotPasswordForm(PortalForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False),
                                                Length(max=254)],
                       render_kw={"autocomplete": "email"})


class ResetPasswordForm(PortalForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), check_password],
                             render_kw={"autocomplete": "new-password", "minlength": 8})


class ChangePasswordForm(PortalForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), check_password],
                                 render_kw={"autocomplete": "new-password", "minlength": 8})


class TwoFactorLoginForm(PortalForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "autocapitalize": "off",
                                  "spellcheck": "false"})


class TwoFactorConfirmForm(PortalForm):
    code = StringField(_l("Code from the app"), validators=[DataRequired(), Length(max=40)],
                       render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"})


class TwoFactorProofForm(PortalForm):
    proof = PasswordField(_l("Your password or a code from your app"),
                          validators=[DataRequired(), Length(max=256)],
                          render_kw={"autocomplete": "current-password"})


class StaffRoleForm(PortalForm):
    role = SelectField(_l("Role"), choices=[])
    reason = StringField(_l("Reason"), validators=[DataRequired(), Length(max=500)])

    def setup(self, role_names):
        self.role.choices = list(role_names.items())
        return self
