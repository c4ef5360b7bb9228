from __future__ import annotations

from typing import Any

import httpx
import pytest

from syncd.bokio import (
    AuthError,
    BadRequestError,
    ConcurrencyLimitError,
    FieldError,
    ForbiddenError,
    NotFoundError,
    OperationNotAllowedError,
    PricePlanRequiredError,
    QuotaExceededError,
    RateLimitedError,
    ServerError,
    ValidationError,
)
from syncd.bokio.errors import BokioError, error_from_response
from syncd.errors import FatalError, RetriableError

from .conftest import COMPANY, PREFIX, FakeClock, make_client

ERROR_ID = "9b408943-7a1e-47ac-85a7-ac52b2c210d3"


def _map(status: int, body: Any = None, retry_after: float | None = None) -> BokioError:
    return error_from_response(
        status,
        body,
        retry_after=retry_after,
        company_id=COMPANY,
        method="POST",
        path="/companies/x/invoices/1/payments",
        path_template="/companies/{companyId}/invoices/{invoiceId}/payments",
    )


def test_validation_error_keeps_every_field_pointer_and_bokio_error_id() -> None:
    err = _map(
        400,
        {
            "code": "validation-error",
            "message": "Validation failed with 2 errors",
            "bokioErrorId": ERROR_ID,
            "errors": [
                {"field": "#/invoiceDate", "message": "The invoice date field is required"},
                {"field": "#/lineItems/0/taxRate", "message": "The tax rate field is required"},
            ],
        },
    )
    assert isinstance(err, ValidationError)
    assert isinstance(err, FatalError)
    assert err.field_errors == (
        FieldError("#/invoiceDate", "The invoice date field is required"),
        FieldError("#/lineItems/0/taxRate", "The tax rate field is required"),
    )
    assert err.bokio_error_id == ERROR_ID
    assert err.code == "validation-error"
    assert err.status == 400
    assert err.company_id == COMPANY
    assert err.path_template == "/companies/{companyId}/invoices/{invoiceId}/payments"
    assert "#/lineItems/0/taxRate" in str(err)


@pytest.mark.parametrize(
    ("status", "body", "retry_after", "cls", "family"),
    [
        (401, None, None, AuthError, FatalError),
        (403, None, None, ForbiddenError, FatalError),
        (403, None, 3600.0, QuotaExceededError, RetriableError),
        (429, None, 7.0, RateLimitedError, RetriableError),
        (429, {"code": "rate-limit-exceeded", "message": "slow down"}, 5.0, RateLimitedError, RetriableError),
        (
            429,
            {"code": "concurrency-limit-exceeded", "message": "busy"},
            None,
            ConcurrencyLimitError,
            RetriableError,
        ),
        (
            403,
            {"code": "quota-exceeded", "message": "monthly quota"},
            86400.0,
            QuotaExceededError,
            RetriableError,
        ),
        (
            403,
            {
                "error": "price_plan_feature_required",
                "message": "Upgrade",
                "details": {"requiredFeature": "Tags"},
            },
            None,
            PricePlanRequiredError,
            FatalError,
        ),
        (403, {"code": "forbidden", "message": "Missing scope"}, None, ForbiddenError, FatalError),
        (
            404,
            {"code": "not-found", "message": "The requested resource invoice with value x was not found"},
            None,
            NotFoundError,
            FatalError,
        ),
        (
            400,
            {"code": "operation-not-allowed", "message": "not a draft"},
            None,
            OperationNotAllowedError,
            FatalError,
        ),
        (409, {"code": "conflict", "message": "?"}, None, BadRequestError, FatalError),
        (500, {"code": "internal-server-error", "message": "oops"}, None, ServerError, RetriableError),
    ],
)
def test_each_status_and_code_maps_to_the_class_that_says_what_to_do(
    status: int, body: Any, retry_after: float | None, cls: type[BokioError], family: type[Exception]
) -> None:
    err = _map(status, body, retry_after)
    assert type(err) is cls
    assert isinstance(err, family)
    assert err.status == status
    if retry_after is not None and isinstance(err, RetriableError):
        assert err.retry_after == retry_after


def test_price_plan_error_exposes_the_required_feature() -> None:
    err = _map(
        403, {"error": "price_plan_feature_required", "message": "x", "details": {"requiredFeature": "Tags"}}
    )
    assert isinstance(err, PricePlanRequiredError)
    assert err.required_feature == "Tags"


def test_old_nested_error_envelope_is_still_understood() -> None:
    err = _map(400, {"error": {"code": "operation-not-allowed", "message": "nope", "bokioErrorId": ERROR_ID}})
    assert isinstance(err, OperationNotAllowedError)
    assert err.bokio_error_id == ERROR_ID


def test_client_raises_mapped_errors_for_body_less_and_bodied_answers(clock: FakeClock) -> None:
    answers = {
        f"{PREFIX}/invoices/a": httpx.Response(401),
        f"{PREFIX}/invoices/b": httpx.Response(403, text=""),
        f"{PREFIX}/invoices/c": httpx.Response(403, headers={"Retry-After": "120"}),
        f"{PREFIX}/invoices/d": httpx.Response(
            404, json={"code": "not-found", "message": "invoice not found", "bokioErrorId": ERROR_ID}
        ),
        f"{PREFIX}/invoices/e": httpx.Response(400, text="<html>bad gateway thing</html>"),
    }

    def handler(request: httpx.Request) -> httpx.Response:
        return answers[request.url.path]

    client = make_client(handler, clock)
    with pytest.raises(AuthError):
        client.get_invoice("a")
    with pytest.raises(ForbiddenError):
        client.get_invoice("b")
    with pytest.raises(QuotaExceededError) as quota:
        client.get_invoice("c")
    assert quota.value.retry_after == 120.0
    with pytest.raises(NotFoundError) as missing:
        client.get_invoice("d")
    assert missing.value.bokio_error_id == ERROR_ID
    assert missing.value.path == f"/companies/{COMPANY}/invoices/d"
    assert missing.value.method == "GET"
    with pytest.raises(BadRequestError):
        client.get_invoice("e")
