"""What every service answers: an action the emulator lacks, a last page."""

from __future__ import annotations

from scripts.emulator.extensions.registry import extension, wrap

NOT_IMPLEMENTED_STATUS = 501
NOT_IMPLEMENTED_CODE = "NotImplemented"


@extension
def unimplemented_actions_fail_fast() -> None:
    """An action the emulator lacks fails at once: HTTP 501 with code `NotImplemented` (what S3
    answers for functionality it does not implement), in the error format of the service's
    protocol (query and ec2 XML, rest-xml, json `__type`, rest-json `x-amzn-ErrorType`), naming
    the service and the action. The server log gets the same line.

    moto raises NotImplementedError (or, for a REST path it has no route for, answers a 404 page)
    and werkzeug turns that into an HTML 500 page. Every SDK retries a 500 (the Terraform provider
    up to 25 attempts with backoff), so a missing action looked like a 15-minute hang. None
    retries a 501 or `NotImplemented`: botocore retries 429 and 500/502/503/504 (legacy mode also
    509), throttling and timeout codes and errors its model marks retryable; aws-sdk-go-v2 (in
    the provider) 500/502/503/504, throttling and timeout codes; aws-sdk-go v1 (in aws-nuke) 500,
    429/502/503/504, throttling and timeout codes, and its retryer says a 501 is not retried."""
    import warnings

    from moto.moto_server.werkzeug_app import DomainDispatcherApplication
    from werkzeug.exceptions import NotFound

    # moto warns that the code is not in the service's model; NotImplemented is in none of them.
    warnings.filterwarnings(
        "ignore", message=rf".* with code {NOT_IMPLEMENTED_CODE} does not match"
    )

    def answering_not_implemented(create_app):
        def create(service):
            app = create_app(service)
            app.register_error_handler(NotImplementedError, _not_implemented_response)
            app.register_error_handler(NotFound, _not_implemented_response)
            return app

        return create

    init = DomainDispatcherApplication.__init__

    def init_answering_not_implemented(self, create_app) -> None:
        init(self, answering_not_implemented(create_app))

    DomainDispatcherApplication.__init__ = init_answering_not_implemented


def _not_implemented_response(error: Exception):
    """The answer to a request moto cannot serve: NotImplementedError (an action moto lacks, or a
    part of one), or no route for an operation of the service's API. A path that is no operation
    of the service stays a 404."""
    import sys

    import moto
    from flask import current_app, request
    from moto.core.exceptions import ServiceException
    from moto.core.request import normalize_request
    from moto.core.responses import ActionResult, BaseResponse

    class NotImplementedByEmulator(ServiceException):
        code = NOT_IMPLEMENTED_CODE

    response = BaseResponse(service_name=current_app.service)
    response.setup_class(normalize_request(request))
    action = response._get_action()
    if not action and not isinstance(error, NotImplementedError):
        return error
    operation = f"{response.boto3_service_name}:{action or request.method + ' ' + request.path}"
    message = f"{operation} is not implemented by the local AWS emulator (moto {moto.__version__})"
    if isinstance(error, NotImplementedError) and str(error):
        message += f"; moto says: {error}"
    print(
        f"{NOT_IMPLEMENTED_STATUS} {NOT_IMPLEMENTED_CODE}: {message}", file=sys.stderr, flush=True
    )
    _, headers, body = response.serialized(ActionResult(NotImplementedByEmulator(message)))
    return body, NOT_IMPLEMENTED_STATUS, headers


PAGINATION_TOKENS = ("NextToken", "nextToken", "NextMarker")


@extension
def last_page_has_no_token() -> None:
    """A last page carries no pagination token, as on AWS. Some moto answers built from a result
    carried an empty one (SSM ListDocuments), which clients read as "more to come": aws-nuke's
    SSMDocument listing asked for the first page again, forever."""
    from moto.core.responses import ActionResult

    def without_empty_token(execute_result):
        def execute_result_without_empty_token(result, context):
            if isinstance(result.result, dict):
                result._result = {
                    key: value
                    for key, value in result.result.items()
                    if not (key in PAGINATION_TOKENS and value == "")
                }
            return execute_result(result, context)

        return execute_result_without_empty_token

    wrap(ActionResult, "execute_result", without_empty_token)
