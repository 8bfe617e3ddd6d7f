package community

import "github.com/loyalbot/loyalbot/bots"

// Actor is who asks for a use case: a member, the role they act with, and
// the platform account they act from (recorded in the audit log).
type Actor struct {
	Member   uint64
	Role     bots.Role
	Platform string
	UserID   string
	Name     string
}

// ActorOf returns the actor behind a chat event, with the role the router
// resolved (loyalbot's, or a platform administrator's inside a brand chat).
func ActorOf(ev *bots.Event) Actor {
	return Actor{Member: ev.Member, Role: ev.Role, Platform: ev.Platform, UserID: ev.UserID, Name: ev.Name}
}

// require returns a *ForbiddenError unless the actor has role need.
func (a Actor) require(action string, need bots.Role) error {
	if a.Role < need {
		return &ForbiddenError{Action: action, Need: need}
	}
	return nil
}
