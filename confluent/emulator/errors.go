package emulator

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/shiftleft/shiftleft/confluent"
)

// ErrInvalidOption is wrapped by the error New returns for a bad option.
var ErrInvalidOption = errors.New("emulator: invalid option")

// ErrStateFile is wrapped by the error New returns when the state file
// cannot be read or decoded.
var ErrStateFile = errors.New("emulator: state file")

// ErrRefused is wrapped by the error of an admin call the emulator's state
// refuses: records for a table that does not exist or that a statement
// writes, data of a statement that does not exist.
var ErrRefused = errors.New("emulator: refused")

// apiError is an error answered as a JSON:API Failure body.
type apiError struct {
	status    int
	code      string
	detail    string
	pointer   string // JSON pointer into the request body
	parameter string // query parameter
	location  string // URL of the conflicting resource of a 409
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.code, e.detail) }

// The error codes of the specs' examples, and ours where they have none.
const (
	codeBadRequest      = "bad_request"
	codeInvalidFilter   = "invalid_filter"
	codeUnauthenticated = "user_unauthenticated"
	codeAlreadyExists   = "resource_already_exists"
	codeInvalidConfig   = "invalid_configuration"
	codeVersionConflict = "resource_version_conflict"
	codeBeingDeleted    = "resource_being_deleted"
	codePatchTestFailed = "patch_test_failed"
	codeMethod          = "method_not_allowed"
	codeMediaType       = "unsupported_media_type"
	codeTooLarge        = "request_too_large"
	codeUnavailable     = "service_unavailable"
	codeInternal        = "internal_server_error"
	codeProduced        = "topic_written_by_statement"
)

// titles are the errors' titles, by code where the spec gives one, else by
// status.
var titles = map[string]string{
	codeUnauthenticated: "Authentication Required",
	codeAlreadyExists:   "Resource Already exists",
	codeInvalidConfig:   "Validation Failed",
	codeInvalidFilter:   "Invalid Filter",
}

func badRequest(format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeBadRequest, detail: fmt.Sprintf(format, args...)}
}

// badParam is a 400 about a query parameter.
func badParam(param, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, code: codeInvalidFilter, parameter: param,
		detail: fmt.Sprintf(format, args...)}
}

// invalid is a 422 about the field of the request body at pointer.
func invalid(pointer, format string, args ...any) *apiError {
	return &apiError{status: http.StatusUnprocessableEntity, code: codeInvalidConfig, pointer: pointer,
		detail: fmt.Sprintf(format, args...)}
}

// notFound has no code, as in the specs' 404 example.
func notFound(format string, args ...any) *apiError {
	return &apiError{status: http.StatusNotFound, detail: fmt.Sprintf(format, args...)}
}

func conflict(code, format string, args ...any) *apiError {
	return &apiError{status: http.StatusConflict, code: code, detail: fmt.Sprintf(format, args...)}
}

// failure is the Failure body of err for the request requestID.
func (e *apiError) failure(requestID string) confluent.Failure {
	title := titles[e.code]
	if title == "" {
		title = http.StatusText(e.status)
	}
	obj := confluent.ErrorObject{ID: requestID, Status: fmt.Sprint(e.status), Code: e.code, Title: title, Detail: e.detail}
	if e.pointer != "" || e.parameter != "" {
		obj.Source = &confluent.ErrorSource{Pointer: e.pointer, Parameter: e.parameter}
	}
	return confluent.Failure{Errors: []confluent.ErrorObject{obj}}
}
