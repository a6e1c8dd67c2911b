import EkyaCore
import EkyaData
import EkyaML
import Foundation

/// How the model teacher is trained, once, before it is cached on disk.
public struct TeacherSettings: Sendable, Hashable {
    /// The teacher network: by default the bigger member of the backend's ResNet family.
    public var architecture: ModelArchitecture
    /// Clean Fashion-MNIST training images used (each also seen once augmented per epoch).
    public var trainingImages: Int
    /// Passes over the clean plus augmented images.
    public var epochs: Int
    /// Mini-batch size.
    public var batchSize: Int
    /// Optimizer.
    public var optimizer: OptimizerChoice
    /// Intra-op threads.
    public var threads: Int
    /// Seed of the sample, the augmentation, the initialization and the shuffling.
    public var seed: UInt64

    /// Creates settings; the defaults train ``ModelArchitecture/teacher(inputChannels:classCount:)``.
    public init(
        architecture: ModelArchitecture = .teacher(inputChannels: 1, classCount: FashionMNIST.classNames.count),
        trainingImages: Int = 20_000,
        epochs: Int = 3,
        batchSize: Int = 64,
        optimizer: OptimizerChoice = .adam(learningRate: 0.002),
        threads: Int = ProcessInfo.processInfo.activeProcessorCount,
        seed: UInt64 = 1
    ) {
        self.architecture = architecture
        self.trainingImages = trainingImages
        self.epochs = epochs
        self.batchSize = batchSize
        self.optimizer = optimizer
        self.threads = threads
        self.seed = seed
    }

    /// The cache file name: every setting that changes the weights is part of it.
    public var cacheFileName: String {
        "teacher-\(architecture)-n\(trainingImages)-e\(epochs)-b\(batchSize)-\(optimizer.cacheTag)-s\(seed)-aug1.pt"
    }
}

/// A teacher whose labels are a bigger network's predictions (Ekya's "golden model").
///
/// It is trained once on clean Fashion-MNIST training images plus one augmented copy of each per
/// epoch (shifts, flips, zoom and the stream corruptions at random severities), then cached on disk
/// as a checkpoint. Its labels are really its predictions, so they are sometimes wrong, and labelling
/// costs compute: every call measures the wall time and ``costPerFrame`` reports the running mean.
public actor ModelTeacher: FrameLabeler {
    public nonisolated let name: String
    private let model: TorchModel
    private var labelledFrames = 0
    private var labellingTime: Duration = .zero

    /// Wraps a trained model.
    public init(model: sending TorchModel, name: String = "model-teacher") {
        self.model = model
        self.name = name
    }

    /// Loads the cached teacher from `cacheDirectory`, or trains it on `trainingPool` and caches it.
    ///
    /// - Parameter trainingPool: the clean images to learn from (the Fashion-MNIST training split).
    public static func loadOrTrain(
        trainingPool: ImagePool,
        cacheDirectory: String,
        settings: TeacherSettings = TeacherSettings(),
        log: (String) -> Void = { _ in }
    ) throws -> ModelTeacher {
        ModelTeacher(
            model: try trainedModel(
                trainingPool: trainingPool,
                cacheDirectory: cacheDirectory,
                settings: settings,
                log: log
            )
        )
    }

    /// The teacher network itself, loaded from the cache or trained and cached; for synchronous callers
    /// that own it (it is not thread-safe).
    public static func trainedModel(
        trainingPool: ImagePool,
        cacheDirectory: String,
        settings: TeacherSettings = TeacherSettings(),
        log: (String) -> Void = { _ in }
    ) throws -> sending TorchModel {
        let path = URL(fileURLWithPath: cacheDirectory).appendingPathComponent(settings.cacheFileName).path
        if FileManager.default.fileExists(atPath: path) {
            log("loading cached teacher \(path)")
            let model = try TorchModel(contentsOf: path)
            try model.setThreads(settings.threads)
            return model
        }
        log(
            "training teacher \(settings.architecture) on \(settings.trainingImages) images x \(settings.epochs) epochs"
        )
        let model = try TeacherTraining.train(pool: trainingPool, settings: settings)
        try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        try model.saveCheckpoint(to: path)
        log("cached teacher at \(path)")
        return model
    }

    /// The default cache folder: `$XDG_CACHE_HOME/ekya` or `~/.cache/ekya`.
    public static var defaultCacheDirectory: String {
        if let cache = ProcessInfo.processInfo.environment["XDG_CACHE_HOME"], !cache.isEmpty {
            return URL(fileURLWithPath: cache).appendingPathComponent("ekya").path
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/ekya").path
    }

    public func label(_ batch: CropBatch) throws -> Labeling {
        let clock = ContinuousClock()
        let start = clock.now
        let labels = try CropModels.predict(model, batch)
        let elapsed = clock.now - start
        labelledFrames += batch.count
        labellingTime += elapsed
        return Labeling(labels: labels, computeTime: elapsed)
    }

    /// Mean measured compute time per labelled crop so far (nil before the first call).
    public var costPerFrame: Duration? {
        labelledFrames == 0 ? nil : labellingTime / labelledFrames
    }

    /// Fraction of `crops` the teacher labels correctly.
    public func accuracy(on crops: CropBatch) throws -> Double {
        try label(crops).accuracy(against: crops.labels)
    }
}

/// The teacher's one-off training with augmentation.
enum TeacherTraining {
    static func train(pool: ImagePool, settings: TeacherSettings) throws -> TorchModel {
        guard pool.width == CropBatch.side, pool.height == CropBatch.side else {
            throw DataError.invalidConfiguration("the teacher trains on \(CropBatch.side)x\(CropBatch.side) images")
        }
        var generator = SeededGenerator(seed: settings.seed, 0x7EAC_4E2)
        var indices = Array(0..<pool.count)
        indices.shuffle(using: &generator)
        let chosen = indices.prefix(min(settings.trainingImages, pool.count))
        var crops = CropBatch()
        crops.reserveCapacity(chosen.count * 2)
        for (position, image) in chosen.enumerated() {
            let size = CropBatch.pixelsPerCrop
            let clean = pool.pixels[(image * size)..<((image + 1) * size)].map { Float($0) / 255 }
            let label = Int(pool.labels[image])
            crops.append(pixels: clean, label: label, timestamp: .zero, sourceID: image)
            var augmentGenerator = SeededGenerator(seed: settings.seed, 0xA06, position)
            crops.append(
                pixels: augmented(clean, using: &augmentGenerator),
                label: label,
                timestamp: .zero,
                sourceID: image
            )
        }
        let training = WindowTrainingSettings(
            architecture: settings.architecture,
            epochs: settings.epochs,
            batchSize: settings.batchSize,
            optimizer: settings.optimizer,
            threads: settings.threads,
            seed: settings.seed
        )
        return try CropModels.train(on: crops, settings: training)
    }

    /// A random shift of up to 2 pixels, random flips and zoom, and up to two corruptions at random severity.
    static func augmented(_ clean: [Float], using generator: inout SeededGenerator) -> [Float] {
        let side = CropBatch.side
        var crop = [Float](repeating: 0, count: clean.count)
        let dy = Int(generator.next() % 5) - 2
        let dx = Int(generator.next() % 5) - 2
        for row in 0..<side {
            for column in 0..<side {
                let y = row - dy
                let x = column - dx
                if y >= 0, y < side, x >= 0, x < side { crop[row * side + column] = clean[y * side + x] }
            }
        }
        AppearanceChange(
            flipsHorizontally: generator.nextUnitFloat() < 0.5,
            flipsVertically: generator.nextUnitFloat() < 0.2,
            scale: generator.nextUnitFloat() < 0.3 ? Double(generator.nextFloat(in: 0.7...1.2)) : 1
        )
        .apply(to: &crop)
        let corruptions = Int(generator.next() % 3)
        for _ in 0..<corruptions {
            let corruption = Corruption.allCases[Int(generator.next() % UInt64(Corruption.allCases.count))]
            corruption.apply(to: &crop, severity: generator.nextFloat(in: 0.2...1), using: &generator)
        }
        return crop
    }
}

extension OptimizerChoice {
    var cacheTag: String {
        switch self {
        case .sgd(let learningRate, let momentum, let weightDecay): "sgd\(learningRate)-\(momentum)-\(weightDecay)"
        case .adam(let learningRate, let weightDecay): "adam\(learningRate)-\(weightDecay)"
        }
    }
}
