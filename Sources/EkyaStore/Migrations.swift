import EkyaFailPoints
import GRDB

/// The schema, as named migrations applied in order.
///
/// Never edit a released migration: add a new one.
public enum StoreMigrations {
    /// Migration identifiers, oldest first.
    public static let identifiers = [
        "v1-initial", "v2-commands-and-timelines", "v3-labelling", "v4-stream-window-index", "v5-stream-source",
        "v6-fleet",
    ]

    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        // Each migration commits in its own transaction; the fail point sits just before that commit.
        func register(_ identifier: String, _ body: @escaping @Sendable (Database) throws -> Void) {
            migrator.registerMigration(identifier) { db in
                try body(db)
                FailPoints.hit(.migration)
            }
        }
        register("v1-initial") { db in
            try db.create(table: "runs") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("startedAt", .datetime).notNull()
                table.column("endedAt", .datetime)
                table.column("status", .text).notNull()
                table.column("configuration", .text).notNull()
            }
            try db.create(table: "streams") { table in
                table.primaryKey("id", .text)
                table.column("scenario", .text).notNull()
                table.column("seed", .integer).notNull()
                table.column("status", .text).notNull()
                table.column("servingVersion", .integer)
                table.column("createdAt", .datetime).notNull()
                table.column("addedWindow", .integer)
                table.column("removedWindow", .integer)
            }
            try db.create(table: "windows") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("runId", .integer).notNull().references("runs")
                table.column("number", .integer).notNull().indexed()
                table.column("status", .text).notNull()
                table.column("scheduler", .text).notNull()
                table.column("streams", .text).notNull()
                table.column("startedAt", .datetime).notNull()
                table.column("endedAt", .datetime)
                table.column("windowSeconds", .double).notNull()
                table.column("wallSeconds", .double)
                table.column("delay", .double)
                table.column("profilingCost", .double)
                table.column("exhaustiveCost", .double)
                table.column("decisionMilliseconds", .double)
                table.column("utilisation", .double)
                table.column("note", .text)
            }
            try db.create(table: "stream_windows") { table in
                table.column("windowId", .integer).notNull().references("windows", onDelete: .cascade)
                table.column("stream", .text).notNull().indexed()
                table.column("startAccuracy", .double).notNull()
                table.column("measuredAccuracy", .double).notNull()
                table.column("simulatedAccuracy", .double).notNull()
                table.column("configuration", .text)
                table.column("predictedEndAccuracy", .double)
                table.column("realisedEndAccuracy", .double)
                table.column("predictedCost", .double)
                table.column("realisedCost", .double)
                table.column("swapTime", .double)
                table.column("refusedSwap", .boolean).notNull().defaults(to: false)
                table.column("failure", .text)
                table.column("shareError", .double).notNull().defaults(to: 0)
                table.column("modelVersion", .integer)
                table.primaryKey(["windowId", "stream"])
            }
            try db.create(table: "plans") { table in
                table.column("windowId", .integer).notNull().references("windows", onDelete: .cascade)
                table.column("stream", .text).notNull()
                table.column("inferenceShare", .double).notNull()
                table.column("trainingShare", .double).notNull()
                table.column("configuration", .text)
                table.primaryKey(["windowId", "stream"])
            }
            try db.create(table: "profiling") { table in
                table.column("windowId", .integer).notNull().references("windows", onDelete: .cascade)
                table.column("stream", .text).notNull()
                table.column("configuration", .text).notNull()
                table.column("predictedAccuracy", .double).notNull()
                table.column("predictedCost", .double).notNull()
                table.primaryKey(["windowId", "stream", "configuration"])
            }
            try db.create(table: "model_versions") { table in
                table.column("stream", .text).notNull()
                table.column("version", .integer).notNull()
                table.column("createdAt", .datetime).notNull()
                table.column("window", .integer)
                table.column("configuration", .text)
                table.column("validationAccuracy", .double)
                table.column("path", .text).notNull()
                table.column("status", .text).notNull()
                table.primaryKey(["stream", "version"])
            }
        }
        register("v2-commands-and-timelines") { db in
            // API changes are queued durably and applied at a window boundary; per-second accuracy per window
            // feeds the dashboard.
            try db.create(table: "commands") { table in
                table.autoIncrementedPrimaryKey("id")
                table.column("kind", .text).notNull()
                table.column("stream", .text).notNull()
                table.column("version", .integer)
                table.column("status", .text).notNull().indexed()
                table.column("createdAt", .datetime).notNull()
                table.column("appliedAt", .datetime)
                table.column("note", .text)
            }
            try db.alter(table: "stream_windows") { table in
                table.add(column: "timeline", .text).notNull().defaults(to: "[]")
            }
        }
        register("v3-labelling") { db in
            // Who labelled the window's sample, at what cost and how well (a teacher network can be wrong).
            try db.alter(table: "windows") { table in
                table.add(column: "labellingCost", .double)
            }
            try db.alter(table: "stream_windows") { table in
                table.add(column: "labelAccuracy", .double)
            }
        }
        register("v4-stream-window-index") { db in
            // A stream's newest result without scanning every window (`GET /api/streams`).
            try db.create(index: "stream_windows_by_stream", on: "stream_windows", columns: ["stream", "windowId"])
        }
        register("v5-stream-source") { db in
            // A video camera's recording (nil: a Fashion-MNIST stream).
            try db.alter(table: "streams") { table in
                table.add(column: "source", .text)
            }
        }
        register("v6-fleet") { db in
            // The node of a fleet that ran each run (recovery after a crash touches that node's runs only). The
            // fleet's own tables (nodes, leases, model files) exist in the PostgreSQL schema alone.
            try db.alter(table: "runs") { table in
                table.add(column: "node", .text).notNull().defaults(to: "")
            }
        }
        return migrator
    }
}
