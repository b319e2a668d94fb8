/// Versioned schema migrations, applied in order at start-up inside one transaction each and
/// recorded in `schema_migrations`. A database written by a newer version of the service (a
/// migration number this binary does not know) is refused rather than used.
///
/// Tables (SPEC §18.2):
/// - `blobs`: raw bytes content-addressed by SHA-256 (attestations, snapshots, circuit sources);
/// - `snapshots`, `circuits`: the registered public inputs (verification uses only these);
/// - `members`, `member_keys`: who may attest, with which Ed25519 keys (revocation keeps the row);
/// - `challenges`: single-use nonces (consumed by exactly one attestation);
/// - `attestations`: the queue and its state; `results`: exactly one row per verified attestation;
/// - `commitments`: every Pedersen commitment of every accepted attestation (blinding reuse);
/// - `audit`, `audit_head`: the hash-chained audit log and its head (the writers' lock).
enum Schema {
    static func migrations(_ d: SQLDialect) -> [(version: Int64, statements: [String])] {
        [
            (1, [
                "CREATE TABLE blobs (sha256 TEXT PRIMARY KEY, bytes \(d.blobType) NOT NULL)",
                """
                CREATE TABLE snapshots (sha256 TEXT PRIMARY KEY, snapshot_id TEXT NOT NULL, as_of BIGINT NOT NULL,
                                        instruments BIGINT NOT NULL, registered_at BIGINT NOT NULL)
                """,
                """
                CREATE TABLE circuits (hash TEXT PRIMARY KEY, name TEXT NOT NULL, version BIGINT NOT NULL,
                                       source_sha256 TEXT NOT NULL, registered_at BIGINT NOT NULL)
                """,
                "CREATE TABLE members (id TEXT PRIMARY KEY, name TEXT NOT NULL, created_at BIGINT NOT NULL)",
                """
                CREATE TABLE member_keys (key TEXT PRIMARY KEY, member_id TEXT NOT NULL REFERENCES members(id),
                                          pem TEXT NOT NULL, added_at BIGINT NOT NULL, revoked_at BIGINT)
                """,
                "CREATE INDEX member_keys_member ON member_keys (member_id)",
                """
                CREATE TABLE challenges (nonce TEXT PRIMARY KEY, member_id TEXT NOT NULL REFERENCES members(id),
                                         issued_at BIGINT NOT NULL, expires_at BIGINT NOT NULL, consumed_by TEXT)
                """,
                "CREATE INDEX challenges_member ON challenges (member_id, issued_at)",
                """
                CREATE TABLE attestations (id TEXT PRIMARY KEY, member_id TEXT NOT NULL REFERENCES members(id),
                                           key TEXT NOT NULL, snapshot_sha256 TEXT NOT NULL, circuit_hash TEXT NOT NULL,
                                           nonce TEXT NOT NULL, created_at BIGINT NOT NULL, expires_at BIGINT NOT NULL,
                                           received_at BIGINT NOT NULL, received_us BIGINT NOT NULL,
                                           status TEXT NOT NULL, claim_token TEXT, lease_until BIGINT, -- unix milliseconds
                                           attempts BIGINT NOT NULL)
                """,
                "CREATE INDEX attestations_queue ON attestations (status, received_us)",
                "CREATE INDEX attestations_member ON attestations (member_id, received_us)",
                """
                CREATE TABLE results (attestation_id TEXT PRIMARY KEY REFERENCES attestations(id),
                                      valid BIGINT NOT NULL, failure_code TEXT, report TEXT NOT NULL,
                                      verified_at BIGINT NOT NULL, verified_us BIGINT NOT NULL,
                                      worker TEXT NOT NULL, batch_size BIGINT NOT NULL)
                """,
                """
                CREATE TABLE commitments (point TEXT NOT NULL, attestation_id TEXT NOT NULL,
                                          PRIMARY KEY (point, attestation_id))
                """,
                "CREATE INDEX commitments_attestation ON commitments (attestation_id)",
                """
                CREATE TABLE audit (seq BIGINT PRIMARY KEY, at BIGINT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                                    subject TEXT NOT NULL, details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)
                """,
                "CREATE TABLE audit_head (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL, hash TEXT NOT NULL)",
                "INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '\(AuditChain.genesisHex)')",
            ]),
        ]
    }

    /// Applies what is missing, in one transaction that first takes the dialect's migration
    /// lock: processes starting together on an empty database (an API and two workers on one
    /// PostgreSQL) migrate one after another, and the later ones find nothing to do.
    static func migrate(_ db: any SQLDatabase) async throws {
        let d = db.dialect
        let all = migrations(d)
        do {
            try await db.transaction { tx in
                if let lock = d.migrationLock { try await tx.query(lock) }
                try await tx.query("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
                let rows = try await tx.query("SELECT version FROM schema_migrations ORDER BY version")
                let have = Set(try rows.map { try $0.int("version") })
                let known = Set(all.map(\.version))
                if let unknown = have.subtracting(known).max() {
                    throw StoreError.migration("the database has schema version \(unknown), newer than this riskattest (\(known.max() ?? 0)); upgrade riskattest")
                }
                for m in all where !have.contains(m.version) {
                    for s in m.statements { try await tx.query(s) }
                    try await tx.query("INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                                       [.int(m.version), .int(WallClock.seconds())])
                }
            }
        } catch let e as StoreError { throw e }
        catch { throw StoreError.migration("\(error)") }
    }
}
