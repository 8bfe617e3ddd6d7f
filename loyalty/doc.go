// Package loyalty is loyalbot's points ledger: a double-entry ledger stored in
// bbolt, with expiring lots, holds, tiers and a rewards catalogue.
//
// # Overview
//
// Every change is a posting (Entry) that moves an int64 amount from one
// account to another, so the balances of all accounts always sum to zero.
// Member accounts (Member) never go below zero; system accounts
// (Issuance("checkin"), RedemptionAccount, ExpiryAccount, AdjustmentAccount)
// may. Balances are stored, so Balance is O(1) and served from memory.
//
// Every write carries a caller-chosen idempotency key. The same key with the
// same request returns the original result marked Replay and changes
// nothing; the same key with a different request returns
// ErrIdempotencyConflict. Keys are kept forever: they name entries in the
// audit trail. A write rejected for a business reason (ErrInsufficientFunds,
// ErrOutOfStock, ...) stores nothing, so it may be retried under its key.
//
// Credits to a member become lots that expire at the end of the UTC day the
// configured period ends (default 365 days). Spending takes the lot that
// expires first; ExpireDue moves what is due to ExpiryAccount. Reversals post
// the opposite entry and give back the very lots a debit consumed. Holds
// reserve points until captured or voided. Tiers come from the points a
// member earned in the current and previous 11 calendar months (or, with
// Config.TierBasis "spend", from Posting.Spend: purchase value), and every
// committed tier change is reported to Config.OnTierChange.
//
// Subpackages: orders brings shop orders in (webhook, CSV) and pays points
// for them; insights scores customers (RFM) and fits lifetime-value models.
//
// # Durability and throughput
//
// Writes go through one group-commit writer: whatever writes are queued run
// in one bbolt transaction and share its fsync, so 64 concurrent writers get
// many times the throughput of one. A write returns only after its
// transaction is durable.
//
// # Caveats
//
// bbolt is single-process: one loyalbot owns the database file. The ledger
// shares the *bolt.DB with other packages (each owns its buckets) but only
// the ledger writes buckets prefixed "loyalty.". Verify reads the whole
// history and is meant for tests and operator checks.
package loyalty
