package wechat

import (
	"context"
	"errors"
	"fmt"
	"net"
	"regexp"
	"strconv"
	"strings"

	"github.com/silenceper/wechat/v2/util"
)

// Sentinel errors. An *APIError unwraps to at most one of them (or to
// context.Canceled / context.DeadlineExceeded), never to the raw SDK error,
// because SDK errors embed URLs carrying the access_token or the AppSecret.
var (
	// ErrNotConfigured is returned by every method of an account (official
	// account or mini-program) whose appid was left empty in Config.
	ErrNotConfigured = errors.New("wechat: account not configured")
	// ErrInvalidArgument reports input rejected locally before any call.
	ErrInvalidArgument = errors.New("wechat: invalid argument")
	// ErrTransport reports a network failure, a timeout or a non-200 HTTP status.
	ErrTransport = errors.New("wechat: transport error")
	// ErrDecrypt reports a push message that could not be decrypted.
	ErrDecrypt = errors.New("wechat: decrypt failed")
)

// APIError is the only error type this package returns from WeChat calls.
// Its Error text is always redacted (see Redact).
type APIError struct {
	// Op names the operation, e.g. "template.send".
	Op string
	// ErrCode is WeChat's errcode, or 0 when the failure carried none
	// (transport failure, local validation, HTTP status).
	ErrCode int
	// Msg is the redacted detail.
	Msg string
	// HTTPStatus is the non-200 status WeChat answered with, if any.
	HTTPStatus int

	kind error
}

// Error implements error; the text never contains tokens or secrets.
func (e *APIError) Error() string {
	s := "wechat: " + e.Op
	if e.ErrCode != 0 {
		s += ": errcode=" + strconv.Itoa(e.ErrCode)
	}
	if e.HTTPStatus != 0 {
		s += ": http status " + strconv.Itoa(e.HTTPStatus)
	}
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return Redact(s)
}

// Unwrap exposes the error class (ErrNotConfigured, ErrInvalidArgument,
// ErrTransport, context errors) but never the raw SDK error.
func (e *APIError) Unwrap() error { return e.kind }

var (
	// \bcode is a web-authorization code; the \b spares "errcode".
	redactQuery  = regexp.MustCompile(`(?i)(access_token|appsecret|secret|js_code|session_key|refresh_token|\bcode)=[^&\s"',]*`)
	redactJSON   = regexp.MustCompile(`(?i)"(access_token|appsecret|secret|js_code|session_key|refresh_token|code)"\s*:\s*"[^"]*"`)
	errCodeRe    = regexp.MustCompile(`errcode"?\s*[=:]\s*(-?\d+)`)
	errMsgRe     = regexp.MustCompile(`err(?:or)?msg"?\s*[=:]\s*(.*)$`)
	httpStatusRe = regexp.MustCompile(`statusCode=(\d{3})`)
)

// Redact removes access_token, secret/appsecret, js_code, session_key,
// refresh_token and (web-authorization) code values from s, in URL-query
// form (k=v) and in JSON form ("k":"v").
func Redact(s string) string {
	s = redactQuery.ReplaceAllString(s, "$1=REDACTED")
	return redactJSON.ReplaceAllString(s, `"$1":"REDACTED"`)
}

// errCodeOf extracts WeChat's errcode from an SDK error: *util.CommonError
// first, then the "errcode=N" text most SDK calls build with fmt.Errorf.
func errCodeOf(err error) int {
	if err == nil {
		return 0
	}
	var ce *util.CommonError
	if errors.As(err, &ce) {
		return int(ce.ErrCode)
	}
	if m := errCodeRe.FindStringSubmatch(err.Error()); m != nil {
		n, convErr := strconv.Atoi(m[1])
		if convErr == nil {
			return n
		}
	}
	return 0
}

// wrapErr converts any error from the SDK (or ours) into a redacted *APIError.
func wrapErr(op string, err error) error {
	if err == nil {
		return nil
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae
	}
	e := &APIError{Op: op, ErrCode: errCodeOf(err)}
	text := err.Error()
	var ce *util.CommonError
	switch {
	case errors.As(err, &ce):
		e.Msg = Redact(ce.ErrMsg)
	case e.ErrCode != 0:
		if m := errMsgRe.FindStringSubmatch(text); m != nil {
			e.Msg = Redact(m[1])
		} else {
			e.Msg = Redact(text)
		}
	default:
		e.Msg = Redact(text)
	}
	if m := httpStatusRe.FindStringSubmatch(text); m != nil && e.ErrCode == 0 {
		e.HTTPStatus, _ = strconv.Atoi(m[1])
		e.kind = ErrTransport
	}
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		e.kind = context.DeadlineExceeded
	case errors.Is(err, context.Canceled):
		e.kind = context.Canceled
	case errors.Is(err, ErrNotConfigured):
		e.kind = ErrNotConfigured
	case errors.Is(err, ErrInvalidArgument):
		e.kind = ErrInvalidArgument
	case isNetErr(err):
		e.kind = ErrTransport
	case strings.Contains(text, "deadline exceeded"), strings.Contains(text, "Client.Timeout"):
		// Some SDK calls flatten the transport error with %s (GetQRTicket).
		e.kind = context.DeadlineExceeded
	case e.kind == nil && e.ErrCode == 0:
		// No errcode: a transport failure or an undecodable (non-JSON) body.
		e.kind = ErrTransport
	}
	return e
}

func isNetErr(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// invalidArg builds a local validation error.
func invalidArg(op, format string, args ...any) error {
	return &APIError{Op: op, Msg: fmt.Sprintf(format, args...), kind: ErrInvalidArgument}
}

// notConfigured builds the error returned by an unconfigured account.
func notConfigured(op, account string) error {
	return &APIError{Op: op, Msg: account + " appid is empty", kind: ErrNotConfigured}
}

// isTokenErr reports errcodes meaning the access token is invalid or expired.
func isTokenErr(code int) bool {
	return code == 40001 || code == 42001 || code == 40014
}

// ErrCode returns the WeChat errcode carried by err (0 if none).
func ErrCode(err error) int {
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.ErrCode
	}
	return errCodeOf(err)
}
