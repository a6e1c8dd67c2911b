// CEkyaML: a small C API over libtorch (PyTorch's C++ core).
//
// Every function returns an ekml_status. On failure the thread-local message returned by
// ekml_last_error() says what went wrong (libtorch's own message where libtorch raised it).
// No function aborts the process on bad input: every C++ exception is caught at this boundary.
//
// Handles are not thread-safe (libtorch modules are not): the caller serializes all calls that
// touch one model. Different models may be used from different threads.
#ifndef CEKYAML_H
#define CEKYAML_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum ekml_status {
    EKML_OK = 0,
    /// An argument is out of range or inconsistent (shapes, counts, names).
    EKML_INVALID_ARGUMENT = 1,
    /// libtorch raised an error while computing.
    EKML_TORCH_ERROR = 2,
    /// The training loss was NaN or infinite; the step's update was not applied.
    EKML_NONFINITE_LOSS = 3,
    /// A file could not be read or written (missing, permissions, disk full).
    EKML_IO_ERROR = 4,
    /// A file exists but is not a valid model/checkpoint (corrupt, truncated, wrong format).
    EKML_BAD_FILE = 5,
    /// The requested device or feature is not available in this libtorch build.
    EKML_UNSUPPORTED = 6,
} ekml_status;

typedef enum ekml_optimizer_kind {
    EKML_OPTIMIZER_SGD = 0,
    EKML_OPTIMIZER_ADAM = 1,
} ekml_optimizer_kind;

/// A classifier (a TorchScript module) plus its optimizer and freezing state.
typedef struct ekml_model ekml_model;
/// Images and labels held in memory as tensors (N x C x H x W floats, N labels).
typedef struct ekml_dataset ekml_dataset;
/// An in-memory copy of a model's parameters and buffers (for best-validation restore).
typedef struct ekml_snapshot ekml_snapshot;

/// The message of the last failed call on this thread ("" if none).
const char *ekml_last_error(void);

/// The libtorch version this shim was compiled against, e.g. "1.13.1".
const char *ekml_torch_version(void);

/// Whether libtorch sees a CUDA device.
int ekml_cuda_is_available(void);
/// Waits until every CUDA kernel queued so far has finished (nothing without CUDA).
void ekml_cuda_synchronize(void);

/// Sets the intra-op threads of libtorch (OpenMP) and of OpenBLAS for calls from this thread.
ekml_status ekml_set_num_threads(int32_t threads);

// MARK: - Models

/// Builds a ResNet-style classifier: a 3x3 stem with stride `stem_stride` (1 or 2), `stages` stages of `blocks_per_stage` basic blocks
/// (widths base, 2*base, 4*base, ...; stride 2 from the second stage on), global average
/// pooling and a 2-layer head (linear -> ReLU -> linear) with `head_hidden` units.
/// Submodules are named "stem", "stage1" ... "stageN", "head". Initialized from `seed`.
ekml_status ekml_model_create(
    int32_t in_channels, int32_t num_classes, int32_t stem_stride, int32_t base_width, int32_t stages,
    int32_t blocks_per_stage, int32_t head_hidden, uint64_t seed, ekml_model **out_model);

/// Loads a TorchScript module (torch.jit.save) or an ekml checkpoint. A checkpoint restores the
/// optimizer kind, hyper-parameters, optimizer state and freezing; a plain TorchScript module
/// gets an SGD optimizer with the given defaults.
ekml_status ekml_model_load(const char *path, ekml_model **out_model);

void ekml_model_destroy(ekml_model *model);

/// Moves the model to "cpu" or "cuda[:index]".
ekml_status ekml_model_set_device(ekml_model *model, const char *device);

/// Intra-op threads used by this model's compute calls (applied at the start of each call).
ekml_status ekml_model_set_threads(ekml_model *model, int32_t threads);

/// Chooses the optimizer (rebuilt over the trainable parameters; its state is reset).
/// SGD uses `momentum`; Adam uses beta1 = 0.9, beta2 = 0.999.
ekml_status ekml_model_set_optimizer(
    ekml_model *model, ekml_optimizer_kind kind, double learning_rate, double momentum, double weight_decay);

/// Reads the optimizer kind and hyper-parameters (e.g. after loading a checkpoint).
ekml_status ekml_model_get_optimizer(
    const ekml_model *model, ekml_optimizer_kind *out_kind, double *out_learning_rate, double *out_momentum,
    double *out_weight_decay);

/// Number of frozen name prefixes, and prefix `index` (valid until the freezing changes).
int32_t ekml_model_frozen_prefix_count(const ekml_model *model);
const char *ekml_model_frozen_prefix(const ekml_model *model, int32_t index);

/// Freezes every parameter whose dotted name starts with one of `prefixes` and unfreezes the
/// rest: requires_grad is set, gradients are dropped, the optimizer is rebuilt over trainable
/// parameters only and submodules under a frozen prefix keep BatchNorm in eval mode.
ekml_status ekml_model_set_frozen_prefixes(ekml_model *model, const char *const *prefixes, int32_t count);

/// Number of parameter tensors (in a stable order).
int32_t ekml_model_parameter_count(const ekml_model *model);
/// Dotted name of parameter `index` (valid until the model is destroyed).
const char *ekml_model_parameter_name(const ekml_model *model, int32_t index);
/// Element count of parameter `index`, or -1.
int64_t ekml_model_parameter_numel(const ekml_model *model, int32_t index);
/// Whether parameter `index` is trainable (1), frozen (0) or out of range (-1).
int32_t ekml_model_parameter_is_trainable(const ekml_model *model, int32_t index);
/// Copies parameter `index` as floats into `out` (capacity `count` >= numel).
ekml_status ekml_model_read_parameter(const ekml_model *model, int32_t index, float *out, int64_t count);

/// Number of buffers (BatchNorm running statistics and the like), in a stable order.
int32_t ekml_model_buffer_count(const ekml_model *model);
/// Dotted name of buffer `index` (valid until the next call on this thread that asks for a name).
const char *ekml_model_buffer_name(const ekml_model *model, int32_t index);
/// Copies buffer `index` as floats into `out` (capacity `count`); writes the element count to `out_numel`.
ekml_status ekml_model_read_buffer(
    const ekml_model *model, int32_t index, float *out, int64_t count, int64_t *out_numel);

// MARK: - Data

/// Copies `count` images (channels x height x width floats each, row-major) and their labels.
ekml_status ekml_dataset_create(
    const float *pixels, const int64_t *labels, int64_t count, int32_t channels, int32_t height, int32_t width,
    ekml_dataset **out_dataset);
void ekml_dataset_destroy(ekml_dataset *dataset);

// MARK: - Training

/// One SGD/Adam step on the images `indices[0..<count]` of `dataset`, resized to `resolution`
/// (0 = native size). Writes the mean cross-entropy loss. On EKML_NONFINITE_LOSS the weights,
/// buffers and optimizer state are exactly as before the call.
ekml_status ekml_model_train_step(
    ekml_model *model, const ekml_dataset *dataset, const int64_t *indices, int32_t count, int32_t resolution,
    double *out_loss);

// MARK: - Inference

/// Classifies `count` dataset images (by index) in batches of `batch_size` at `resolution`;
/// writes the arg-max class and its softmax probability per image.
ekml_status ekml_model_predict_dataset(
    ekml_model *model, const ekml_dataset *dataset, const int64_t *indices, int64_t count, int32_t resolution,
    int32_t batch_size, int64_t *out_classes, float *out_confidences);

/// Classifies `count` images given as raw floats (count x channels x height x width).
ekml_status ekml_model_predict(
    ekml_model *model, const float *pixels, int64_t count, int32_t channels, int32_t height, int32_t width,
    int32_t resolution, int32_t batch_size, int64_t *out_classes, float *out_confidences);

// MARK: - Snapshots and files

ekml_status ekml_snapshot_capture(const ekml_model *model, ekml_snapshot **out_snapshot);
/// Copies the snapshot's values back into the model (which must have the same structure).
ekml_status ekml_snapshot_restore(ekml_model *model, const ekml_snapshot *snapshot);
void ekml_snapshot_destroy(ekml_snapshot *snapshot);

/// Writes a checkpoint (TorchScript module + optimizer kind, hyper-parameters, optimizer state,
/// frozen prefixes) atomically: a temporary file in the same directory renamed over `path`.
/// The file also loads with torch.jit.load in Python.
ekml_status ekml_model_save_checkpoint(const ekml_model *model, const char *path);

/// Writes a plain TorchScript module (no optimizer state) atomically, for torch.jit.load.
ekml_status ekml_model_export_torchscript(const ekml_model *model, const char *path);

#ifdef __cplusplus
}
#endif

#endif
