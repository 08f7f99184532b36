// The endpoint table: every request the mini-program makes goes through
// utils/api.js, which refuses a name, body field or query key missing here.
// handlers/api/miniprogram_contract_test.go reads this file (it must stay
// "module.exports = <strict JSON>;" after these comment lines) and checks
// every entry against handlers/api/openapi.json; the jest setup checks
// every request the page tests make against it.
//
// method, path (OpenAPI template), auth (needs a session), query (query
// keys), body (JSON body fields), multipart (form fields of an upload),
// idempotent (sends an Idempotency-Key header), download (wx.downloadFile),
// image (an <image> address, not a request).
module.exports = {
  "resolveCode": {"method": "GET", "path": "/api/v1/codes/{code}"},
  "getDeputy": {"method": "GET", "path": "/api/v1/deputies/{id}"},
  "getDeputyPhoto": {"method": "GET", "path": "/api/v1/deputies/{id}/photo", "query": ["v"], "image": true},
  "listStations": {"method": "GET", "path": "/api/v1/stations", "query": ["lat", "lng", "limit", "cursor"]},
  "getStation": {"method": "GET", "path": "/api/v1/stations/{id}"},
  "createSession": {"method": "POST", "path": "/api/v1/session", "body": ["code"]},
  "createDevSession": {"method": "POST", "path": "/api/v1/session/dev", "body": ["user"]},
  "getMe": {"method": "GET", "path": "/api/v1/me", "auth": true},
  "deleteMe": {"method": "DELETE", "path": "/api/v1/me", "auth": true},
  "bindPhone": {"method": "POST", "path": "/api/v1/me/phone", "auth": true, "body": ["code"]},
  "setMyCommunity": {"method": "PUT", "path": "/api/v1/me/community", "auth": true, "body": ["community_id"]},
  "listCommunities": {"method": "GET", "path": "/api/v1/communities", "query": ["q"]},
  "listReceptionDays": {"method": "GET", "path": "/api/v1/reception-days", "query": ["station_id", "limit"]},
  "createBooking": {"method": "POST", "path": "/api/v1/bookings", "auth": true, "idempotent": true, "body": ["slot_id", "topic"]},
  "listBookings": {"method": "GET", "path": "/api/v1/bookings", "auth": true, "query": ["cursor"]},
  "getBooking": {"method": "GET", "path": "/api/v1/bookings/{id}", "auth": true},
  "moveBooking": {"method": "PATCH", "path": "/api/v1/bookings/{id}", "auth": true, "body": ["slot_id"]},
  "cancelBooking": {"method": "DELETE", "path": "/api/v1/bookings/{id}", "auth": true},
  "getBookingQR": {"method": "GET", "path": "/api/v1/bookings/{id}/qr.png", "auth": true, "download": true},
  "listSubscriptions": {"method": "GET", "path": "/api/v1/subscriptions", "auth": true, "query": ["moment"]},
  "grantSubscriptions": {"method": "POST", "path": "/api/v1/subscriptions", "auth": true, "body": ["template_ids"]},
  "listCategories": {"method": "GET", "path": "/api/v1/categories"},
  "createUpload": {"method": "POST", "path": "/api/v1/uploads", "auth": true, "multipart": ["file"]},
  "createOpinion": {"method": "POST", "path": "/api/v1/opinions", "auth": true, "idempotent": true, "body": ["content", "category", "code", "station_id", "lat", "lng", "anonymous", "photo_ids", "extra"]},
  "listOpinions": {"method": "GET", "path": "/api/v1/opinions", "auth": true, "query": ["cursor"]},
  "getOpinion": {"method": "GET", "path": "/api/v1/opinions/{id}", "auth": true},
  "rateOpinion": {"method": "POST", "path": "/api/v1/opinions/{id}/ratings", "auth": true, "body": ["stage", "score", "comment"]},
  "openBallotSlip": {"method": "POST", "path": "/api/v1/ballot-slips/open", "auth": true, "body": ["code"]},
  "castBallot": {"method": "POST", "path": "/api/v1/ballots", "auth": true, "idempotent": true, "body": ["code", "marks", "comments"]},
  "getReviewResult": {"method": "GET", "path": "/api/v1/reviews/{id}/result"},
  "listResults": {"method": "GET", "path": "/api/v1/results", "query": ["station_id", "category_id", "cursor"]},
  "getResult": {"method": "GET", "path": "/api/v1/results/{id}"},
  "getResultPhoto": {"method": "GET", "path": "/api/v1/results/{id}/photos/{photo_id}", "image": true},
  "getResultStats": {"method": "GET", "path": "/api/v1/results/stats"}
};
