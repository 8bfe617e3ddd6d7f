package community

import "github.com/loyalbot/loyalbot/bots"

// Role is a member's role as loyalbot stores it: a stable name, never the
// position of a constant, so reordering roles in code cannot change what a
// database means.
type Role string

// Stored roles. Owners come from the config (owners:), so "owner" is
// stored only when a release wrote it.
const (
	RoleMember     Role = "member"
	RoleAmbassador Role = "ambassador"
	RoleManager    Role = "manager"
	RoleOwner      Role = "owner"
)

// Level is the role's rank for permission checks in the chat core. An
// empty or unknown role is a member.
func (r Role) Level() bots.Role {
	switch r {
	case RoleAmbassador:
		return bots.RoleAmbassador
	case RoleManager:
		return bots.RoleManager
	case RoleOwner:
		return bots.RoleOwner
	}
	return bots.RoleMember
}

// RoleAt is the stored role for a rank (RoleNone counts as member).
func RoleAt(l bots.Role) Role {
	switch {
	case l >= bots.RoleOwner:
		return RoleOwner
	case l == bots.RoleManager:
		return RoleManager
	case l == bots.RoleAmbassador:
		return RoleAmbassador
	}
	return RoleMember
}

// ChatKind is whether a stored chat is a group or a private chat, as a
// stable name.
type ChatKind string

// Stored chat kinds.
const (
	ChatGroup   ChatKind = "group"
	ChatPrivate ChatKind = "private"
)

// chatKindOf is the stored kind of an event's chat.
func chatKindOf(k bots.ChatKind) ChatKind {
	if k == bots.ChatPrivate {
		return ChatPrivate
	}
	return ChatGroup
}
