package shared

// Redis keys that more than one face uses. The opinion chat of the official
// account (handlers/official/chat.go) keeps its state and a marker per
// openid; the erasure of a voter (handlers/api/erase.go) deletes them. The
// two keys are written in one MULTI, so they share the openid as their hash
// tag and land on one Redis Cluster node; different openids spread over the
// slots (docs/SCALE.md section 2).

// ChatKey is the opinion chat's state of openid.
func ChatKey(prefix, openid string) string { return prefix + "wx:{" + openid + "}:chat" }

// ChatMarkerKey is the marker that outlives the chat, so that the next text
// can say the conversation ended.
func ChatMarkerKey(prefix, openid string) string { return prefix + "wx:{" + openid + "}:chatwas" }
