// Package loyalty is loyalbot's points ledger: a double-entry ledger with
// expiring lots, holds, tiers and a rewards catalogue, kept in a Store
// (loyalty/bolt keeps it in bbolt).
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
// Subpackages: bolt is the Store on bbolt; loyaltytest has the conformance
// suite every Store passes; orders brings shop orders in (webhook, CSV) and
// pays points for them; insights scores customers (RFM) and fits
// lifetime-value models.
//
// # Storage
//
// The rules are written once, in this package, against Store and its
// transactions (Tx, ReadTx): typed reads, puts, sequences and ordered
// walks of accounts, entries, idempotency keys, lots, holds, rewards,
// redemptions and merges. A Store keeps its indexes in step with the
// records and checks no rule, so a PostgreSQL store would share every rule
// with the bbolt one and pass the same suite.
//
// # Durability and throughput
//
// Writes go through one group-commit writer: whatever writes are queued run
// in one Store.Update and share its commit (its fsync, in bbolt), so 64
// concurrent writers get many times the throughput of one. A write returns
// only after its transaction is durable. Balances of recently used accounts
// are kept in memory (Config.CacheSize), so Balance is usually served
// without a transaction.
//
// # Caveats
//
// A Ledger must be its Store's only writer: the balance cache and the
// merged-account redirects live in its memory. (bbolt is single-process
// anyway: one loyalbot owns the database file; the bbolt store shares the
// *bbolt.DB with other packages but only it writes buckets prefixed
// "loyalty.".) Verify reads the whole history and is meant for tests and
// operator checks.
package loyalty
