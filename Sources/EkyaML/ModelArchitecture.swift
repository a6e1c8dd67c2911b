/// A member of the ResNet-style classifier family for small object crops (28–64 px, 1 or 3 channels).
///
/// Layout: a 3×3 stem with stride `stemStride` (2 quarters the cost of every later layer), `stages`
/// stages of `blocksPerStage` basic residual blocks (widths `baseWidth`, 2×, 4×, …; stride 2 from the
/// second stage on), global average pooling and Ekya's 2-layer head (linear → ReLU → linear with
/// `headHidden` units; 64 and 1024 in the paper's grid). Parameters are named `stem.*`,
/// `stage1.*` … `stageN.*`, `head.*`.
public struct ModelArchitecture: Sendable, Hashable, CustomStringConvertible {
    public var inputChannels: Int
    public var classCount: Int
    public var stemStride: Int
    public var baseWidth: Int
    public var stages: Int
    public var blocksPerStage: Int
    public var headHidden: Int

    public init(
        inputChannels: Int,
        classCount: Int,
        stemStride: Int = 2,
        baseWidth: Int = 16,
        stages: Int = 3,
        blocksPerStage: Int = 1,
        headHidden: Int = 64
    ) {
        self.inputChannels = inputChannels
        self.classCount = classCount
        self.stemStride = stemStride
        self.baseWidth = baseWidth
        self.stages = stages
        self.blocksPerStage = blocksPerStage
        self.headHidden = headHidden
    }

    /// The edge model Ekya retrains: stride-2 stem, widths 16/32/64, one block per stage.
    public static func small(inputChannels: Int, classCount: Int, headHidden: Int = 64) -> Self {
        Self(inputChannels: inputChannels, classCount: classCount, headHidden: headHidden)
    }

    /// The bigger teacher of the same family: widths 32/64/128, two blocks per stage, 1024 head units.
    public static func teacher(inputChannels: Int, classCount: Int) -> Self {
        Self(
            inputChannels: inputChannels,
            classCount: classCount,
            baseWidth: 32,
            stages: 3,
            blocksPerStage: 2,
            headHidden: 1024
        )
    }

    public var description: String {
        "resnet-c\(inputChannels)-s\(stemStride)-w\(baseWidth)-\(stages)x\(blocksPerStage)-h\(headHidden)-k\(classCount)"
    }
}

/// Which parameters a training job updates; the others are frozen for real.
public enum TrainableLayers: Sendable, Hashable {
    /// Every parameter trains.
    case all
    /// Only Ekya's head (`head.*`) trains; the backbone is frozen.
    case headOnly
    /// The stem and stages `1...k` are frozen; later stages and the head train.
    case allButFirstStages(Int)
    /// Parameters whose dotted name starts with one of these prefixes are frozen.
    case frozenPrefixes([String])
}

/// The optimizer of a training job.
public enum OptimizerChoice: Sendable, Hashable {
    /// SGD with momentum; Ekya uses learning rate 0.001 and momentum 0.9.
    case sgd(learningRate: Double = 0.001, momentum: Double = 0.9, weightDecay: Double = 0)
    /// Adam with β = (0.9, 0.999).
    case adam(learningRate: Double = 0.001, weightDecay: Double = 0)

    /// Ekya's retraining optimizer.
    public static let ekyaDefault = Self.sgd()
}
