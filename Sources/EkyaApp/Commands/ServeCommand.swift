// Over 400 lines: `ekya serve`'s flags, help text and the composition of the service (store, runtime,
// cameras, HTTP, TLS, fleet) in one command.

import ArgumentParser
import EkyaCore
import EkyaData
import EkyaRuntime
import EkyaService
import EkyaStore
import EkyaStorePostgres
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import Logging
import Metrics
import NIOSSL
import Prometheus
import ServiceLifecycle
import UnixSignals

/// `ekya serve`: Ekya as a long-running service with durable state, an HTTP API, metrics and a dashboard.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run Ekya as a service: durable state, HTTP API, Prometheus metrics and a live dashboard.",
        discussion: """
            Either --config FILE or --demo (the embedded default: 5 streams, one per drift preset).
            Configuration file (JSON; "token" and "data_dir" are required, unknown keys are errors):
              {"listen": "127.0.0.1:8080", "token": "secret", "data_dir": "/var/lib/ekya",
               "streams": ["stable", {"id": "cam-2", "scenario": "weather", "seed": 7}],
               "window_seconds": 60, "pause_seconds": 2, "crops_per_second": 10, "devices": 1, "slowdown": 10,
               "scheduler": "ekya", "seed": 1, "cycle": 30, "profile_epochs": 2, "keep_model_versions": 20,
               "fashion_mnist_directory": "/usr/share/datasets/fashion-mnist",
               "teacher": "ground-truth" | "model", "label_error_rate": 0, "teacher_cache": "~/.cache/ekya",
               "stall_seconds": 300, "tls_cert": "cert.pem", "tls_key": "key.pem",
               "store": "postgres://ekya@db/ekya", "node_id": "edge-1", "lease_seconds": 15,
               "advertise": "http://edge-1:8080"}
            Servers sharing one PostgreSQL store form a fleet: each holds leases on some streams (balanced by \
            stream count per device), renews them every third of "lease_seconds", and takes the streams of a node \
            whose leases expired, continuing from their newest model versions.
            "teacher": "model" labels each window's sample with the teacher network of `ekya data teacher` (trained
            once and cached, about 4 min the first time; its compute is charged to the window).
            "streams" seed an empty database only; afterwards the database and the API decide. State lives in
            DATA_DIR/ekya.sqlite (SQLite, WAL) and DATA_DIR/models/<stream>/<version>/. SIGTERM or SIGINT stop
            at the next step: the window in progress is recorded as interrupted and the process exits 0.
            """
    )

    @Option(help: "The JSON configuration file.")
    var config: String?

    @Flag(help: "Serve the embedded default (5 streams) without a configuration file.")
    var demo: Bool = false

    @Option(help: "Address to listen on, HOST:PORT (default 127.0.0.1:8080; overrides the file's).")
    var listen: String?

    @Option(name: .customLong("data-dir"), help: "Directory of the database and the model store.")
    var dataDir: String?

    @Option(
        help: """
            The database: sqlite (DATA_DIR/ekya.sqlite, the default), sqlite:PATH, or \
            postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE (overrides the file's; models stay in DATA_DIR).
            """
    )
    var store: String?

    @Option(
        help: """
            Bearer token for mutating API requests (overrides the file's). Visible to other users in `ps`:             prefer --token-file or the EKYA_TOKEN environment variable. --demo without a token generates one             and keeps it in DATA_DIR/token (mode 0600).
            """
    )
    var token: String?

    @Option(help: "File whose first line is the bearer token (overrides the file's and --token).")
    var tokenFile: String?

    @Option(help: "Window length T in (virtual) seconds (overrides the file's).")
    var windowSeconds: Double?

    @Option(help: "Wall-clock pause between windows in seconds (overrides the file's).")
    var pauseSeconds: Double?

    @Option(help: "Who labels each window's sample: ground-truth or model (overrides the file's).")
    var teacher: TeacherKind?

    @Option(help: "Report a window stalled after this many wall seconds without progress (default 300).")
    var stallSeconds: Double?

    @Option(
        help: """
            This server's id in a fleet of servers sharing one PostgreSQL store (default: the host name; \
            overrides the file's "node_id").
            """
    )
    var nodeID: String?

    @Option(help: "Seconds a fleet node's heartbeat and stream leases last unrenewed (default 15).")
    var leaseSeconds: Double?

    @Option(help: "URL of this server's API as the fleet shows it (default http(s)://LISTEN).")
    var advertise: String?

    @OptionGroup var device: DeviceOption

    @Option(help: "PEM certificate chain: serve HTTPS (with --tls-key; overrides the file's).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    /// The token from --token-file, --token or EKYA_TOKEN (in that order), if any was given.
    static func givenToken(flag: String?, file: String?) throws -> String? {
        if let file {
            let text = try FileIO.read(file)
            let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            let token = line.trimmingCharacters(in: .whitespaces)
            guard !token.isEmpty else { throw ValidationError("--token-file '\(file)': the first line is empty") }
            return token
        }
        if let flag {
            guard !flag.isEmpty else { throw ValidationError("--token must not be empty") }
            return flag
        }
        if let variable = ProcessInfo.processInfo.environment["EKYA_TOKEN"], !variable.isEmpty { return variable }
        return nil
    }

    /// The database and the model store the configuration names; errors say what to fix.
    static func openStore(
        _ configuration: ServiceConfiguration
    ) throws -> (store: any ServiceStoring, models: ModelStore, fleet: (any FleetStoring)?) {
        do {
            switch configuration.store {
            case .sqlite(let path):
                let data = try DataDirectory(path: configuration.dataDir, databasePath: path)
                return (data.store, data.models, nil)
            case .postgres(let url):
                let models = try DataDirectory.modelStore(path: configuration.dataDir)
                let store = try PostgresServiceStore(url: url, node: configuration.fleetNodeID ?? "")
                return (store, models, try PostgresFleetStore(url: url))
            }
        } catch let error as DataDirectoryError {
            throw AppError.invalidOption(error.message)
        } catch let error as StoreError {
            throw AppError.invalidOption("store '\(configuration.store)': \(error)")
        } catch {
            throw AppError.invalidOption("data_dir '\(configuration.dataDir)': \(error)")
        }
    }

    /// The demo's token: DATA_DIR/token, created (mode 0600) with 32 random bytes in hex when missing.
    static func demoToken(dataDir: String) throws -> String {
        let directory = URL(fileURLWithPath: dataDir, isDirectory: true)
        let path = directory.appendingPathComponent("token").path
        if let text = try? String(contentsOfFile: path, encoding: .utf8),
            let token = text.split(whereSeparator: \.isNewline).first.map(String.init), !token.isEmpty
        {
            return token
        }
        var generator = SystemRandomNumberGenerator()
        let token = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        do {
            try FileManager.default.createDirectory(
                at: directory,
                withIntermediateDirectories: true,
                attributes: [.posixPermissions: 0o700]
            )
            guard
                FileManager.default.createFile(
                    atPath: path,
                    contents: Data((token + "\n").utf8),
                    attributes: [.posixPermissions: 0o600]
                )
            else { throw AppError.cannotWrite(path: path, reason: "the file could not be created") }
        } catch let error as AppError {
            throw error
        } catch {
            throw AppError.cannotWrite(path: path, reason: "\(error)")
        }
        return token
    }

    /// Open HTTP connections the service accepts at once; more wait in the listen backlog.
    ///
    /// At most 256, and
    /// 64 file descriptors below the process's limit stay free for the database, models and logs (under
    /// `ulimit -n 128`, 64 connections).
    static func maximumConnections(fileDescriptorLimit: Int) -> Int {
        max(8, min(256, fileDescriptorLimit - 64))
    }

    /// The soft limit on open files of this process.
    static var fileDescriptorLimit: Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 1024 }
        return limit.rlim_cur >= rlim_t(Int.max) ? Int.max : Int(limit.rlim_cur)
    }

    /// The server's TLS configuration from the PEM files, checked before anything binds.
    static func tlsConfiguration(_ files: TLSFiles) throws -> TLSConfiguration {
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(files.certificate)
        } catch {
            throw AppError.invalidOption("tls_cert '\(files.certificate)' is not a readable PEM certificate: \(error)")
        }
        guard !chain.isEmpty else {
            throw AppError.invalidOption("tls_cert '\(files.certificate)' holds no PEM certificate")
        }
        let key: NIOSSLPrivateKey
        do {
            key = try NIOSSLPrivateKey(file: files.key, format: .pem)
        } catch {
            throw AppError.invalidOption("tls_key '\(files.key)' is not a readable PEM private key: \(error)")
        }
        return TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) },
            privateKey: .privateKey(key)
        )
    }

    func makeConfiguration() throws -> ServiceConfiguration {
        var configuration: ServiceConfiguration
        switch (config, demo) {
        case (let path?, false):
            configuration = try ServiceConfiguration.parse(try FileIO.read(path), file: path)
        case (nil, true):
            guard let dataDir else { throw ValidationError("--demo needs --data-dir DIR") }
            configuration = ServiceConfiguration(token: "", dataDir: dataDir)
        case (.some, true):
            throw ValidationError("use either --config FILE or --demo, not both")
        case (nil, false):
            throw ValidationError("give --config FILE or --demo")
        }
        if let listen {
            do {
                (configuration.host, configuration.port) = try ServiceConfiguration.parseListen(listen)
            } catch {
                throw ValidationError("--listen: \(error)")
            }
        }
        if let dataDir {
            guard !dataDir.isEmpty else { throw ValidationError("--data-dir must not be empty") }
            configuration.dataDir = dataDir
        }
        if let given = try Self.givenToken(flag: token, file: tokenFile) {
            configuration.token = given
        } else if configuration.token.isEmpty {
            if let config {
                throw ValidationError(
                    "\(config) has no 'token': give it there, or with --token-file FILE, --token or EKYA_TOKEN"
                )
            }
            guard !configuration.dataDir.isEmpty else { throw ValidationError("--data-dir must not be empty") }
            configuration.token = try Self.demoToken(dataDir: configuration.dataDir)
        }
        if let store {
            do {
                configuration.store = try StoreLocation.parse(store)
            } catch {
                throw ValidationError("--store: \(error)")
            }
        }
        if let windowSeconds { configuration.windowSeconds = windowSeconds }
        if let pauseSeconds {
            guard pauseSeconds.isFinite, (0...86_400).contains(pauseSeconds) else {
                throw ValidationError("--pause-seconds must be a number in 0...86400")
            }
            configuration.pauseSeconds = pauseSeconds
        }
        if let teacher { configuration.teacher = teacher }
        if let stallSeconds {
            guard stallSeconds.isFinite, (1...86_400).contains(stallSeconds) else {
                throw ValidationError("--stall-seconds must be a number in 1...86400")
            }
            configuration.stallSeconds = stallSeconds
        }
        if let nodeID { configuration.nodeID = nodeID }
        if let leaseSeconds { configuration.leaseSeconds = leaseSeconds }
        if let advertise { configuration.advertise = advertise }
        do {
            try configuration.validateFleet()
        } catch {
            throw ValidationError("\(error)")
        }
        if tlsCert != nil || tlsKey != nil {
            do {
                configuration.tls = try TLSFiles(
                    certificate: tlsCert ?? configuration.tls?.certificate,
                    key: tlsKey ?? configuration.tls?.key
                )
            } catch {
                throw ValidationError("\(error)")
            }
        }
        // The file's settings were validated when it was parsed, so what fails now came from a flag.
        _ = try configuration.runtimeSettings.validatedForCommandLine()
        do {
            _ = try SchedulerSpec.make(configuration.scheduler)
        } catch {
            throw ValidationError("scheduler: \(error)")
        }
        return configuration
    }

    func run() async throws {
        let configuration = try makeConfiguration()
        try device.apply()
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel =
                ProcessInfo.processInfo.environment["LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }
        let logger = Logger(label: "ekya")
        let (store, models, fleetStore) = try Self.openStore(configuration)
        var fleet: FleetMembership?
        if let fleetStore, let node = configuration.fleetNodeID {
            fleet = FleetMembership(
                store: fleetStore,
                registration: NodeRegistration(
                    id: node,
                    address: configuration.advertisedAddress,
                    devices: configuration.devices
                ),
                ttl: configuration.leaseSeconds,
                logger: logger
            )
        }
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets[ServiceMetrics.windowDurationLabel] = [1, 2, 5, 10, 20, 30, 60, 120, 300, 600]
            .map { Duration.seconds($0) }
        let metrics = ServiceMetrics(factory: factory, node: configuration.fleetNodeID)
        let state = ServiceState()
        let liveSources = LiveSources()
        let loop = WindowLoop(
            configuration: configuration,
            store: store,
            models: models,
            state: state,
            metrics: metrics,
            logger: logger,
            videoStreams: VideoCameras.maker(liveSources: liveSources, log: { line in logger.info("\(line)") }),
            liveSources: liveSources,
            fleet: fleet
        )
        var context = APIContext(
            store: store,
            state: state,
            registry: registry,
            token: configuration.token,
            windowSeconds: configuration.windowSeconds,
            liveSources: liveSources
        )
        context.fleet = fleet
        let router = API.router(context)
        let host = configuration.host
        let port = configuration.port
        // A connection that sends no complete request for 30 s is closed, and only so many are open at once
        // (half-open connections cannot exhaust the process's file descriptors).
        let http1 = HTTPServerBuilder.http1(configuration: .init(idleTimeout: .seconds(30)))
        let server = try configuration.tls.map {
            try HTTPServerBuilder.tls(http1, tlsConfiguration: try Self.tlsConfiguration($0))
        }
        let scheme = server == nil ? "http" : "https"
        let connections = Self.maximumConnections(fileDescriptorLimit: Self.fileDescriptorLimit)
        let app = Application(
            router: router,
            server: server ?? http1,
            configuration: .init(
                address: .hostname(host, port: port),
                serverName: "ekya",
                availableConnectionsDelegate: MaximumAvailableConnections(connections)
            ),
            onServerRunning: { channel in
                logger.info(
                    "listening on \(scheme)://\(host):\(channel.localAddress?.port ?? port)",
                    metadata: ["max_connections": "\(connections)"]
                )
            },
            logger: logger
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [
                    .init(service: app),
                    .init(
                        service: RuntimeService(loop: loop),
                        successTerminationBehavior: .gracefullyShutdownGroup,
                        failureTerminationBehavior: .gracefullyShutdownGroup
                    ),
                ],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
        logger.info("stopped")
    }
}
