/// One retraining window of a camera stream: its drift and its train and test crops.
///
/// `train` and `test` together are the window's crops in capture order, split at random; they never
/// share a source image.
public struct StreamWindow: Sendable, Equatable {
    /// Window index, from 0.
    public let index: Int
    /// When the window starts, as time since the stream started.
    public let start: Duration
    /// The drift in force during the window.
    public let drift: DriftState
    /// Crops available for retraining (to be labelled by a teacher).
    public let train: CropBatch
    /// Held-out crops for measuring accuracy.
    public let test: CropBatch
    /// Compute seconds (on this machine) the stream's own teacher spent labelling the window's frames.
    ///
    /// A video camera's detector on the frames its training crops come from; 0 where labels are free.
    public var teacherSeconds: Double = 0

    /// Creates a window.
    public init(index: Int, start: Duration, drift: DriftState, train: CropBatch, test: CropBatch) {
        self.index = index
        self.start = start
        self.drift = drift
        self.train = train
        self.test = test
    }
}
