import EkyaData
import EkyaML

/// Accuracy of a stale model and of a retrained model on one window's test crops.
public struct WindowAccuracy: Sendable, Equatable {
    /// Window index.
    public var window: Int
    /// Accuracy of the model trained on window 0 (never retrained).
    public var stale: Double
    /// Accuracy of a model trained on this window's train crops.
    public var retrained: Double
}

/// The evidence that drift matters: how a window-0 model decays and how much retraining recovers.
public enum DriftEvaluation {
    /// Trains a model on window 0, and one per later window, and measures both on every window's test crops.
    ///
    /// Window 0's retrained model is the stale model itself. Models are trained from scratch with the true
    /// labels (a perfect teacher) so the numbers isolate the effect of drift.
    /// - Complexity: one training per window; about 5–20 s each for the small model on 2 cores.
    public static func evaluate(
        _ stream: CameraStream,
        settings: WindowTrainingSettings = WindowTrainingSettings(),
        progress: (WindowAccuracy) -> Void = { _ in }
    ) throws(MLError) -> [WindowAccuracy] {
        var results: [WindowAccuracy] = []
        var stale: TorchModel?
        for index in 0..<stream.windowCount {
            let window = stream.window(index)
            let retrained = try CropModels.train(on: window.train, settings: settings)
            let reference = stale ?? retrained
            stale = reference
            let accuracy = WindowAccuracy(
                window: index,
                stale: try CropModels.accuracy(of: reference, on: window.test),
                retrained: try CropModels.accuracy(of: retrained, on: window.test)
            )
            progress(accuracy)
            results.append(accuracy)
        }
        return results
    }
}
