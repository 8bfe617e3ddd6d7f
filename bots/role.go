package bots

import "strings"

// Role is what a member may do. Roles are ordered: each includes the ones below.
type Role int

// Roles.
const (
	RoleNone Role = iota // not registered
	RoleMember
	RoleAmbassador
	RoleManager
	RoleOwner
)

var roleNames = [...]string{"none", "member", "ambassador", "manager", "owner"}

func (r Role) String() string {
	if r < 0 || int(r) >= len(roleNames) {
		return "unknown"
	}
	return roleNames[r]
}

// ParseRole parses a role name, case-insensitively.
func ParseRole(s string) (Role, bool) {
	for i, n := range roleNames {
		if strings.EqualFold(s, n) && i > 0 {
			return Role(i), true
		}
	}
	return RoleNone, false
}
