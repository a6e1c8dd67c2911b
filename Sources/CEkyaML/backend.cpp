// libtorch behind the C API of include/CEkyaML.h.
//
// Every model is a TorchScript module (torch::jit::Module): native models are assembled here with
// Module::define, loaded models come from torch.jit.save. One representation serves training,
// inference, checkpoints and TorchScript export. See "libtorch traps" in docs/ml-backend.md for the traps this
// file works around (freezing in 1.13, optimizer state types, OpenBLAS threads).
#include "CEkyaML.h"

#include <ATen/Parallel.h>
#include <torch/csrc/jit/python/update_graph_executor_opt.h>
#include <torch/csrc/jit/serialization/import.h>
#include <torch/cuda.h>
#include <torch/script.h>
#include <torch/torch.h>
#include <torch/version.h>

#include <dlfcn.h>
#include <malloc.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace {

thread_local std::string last_error;

constexpr const char *kMetaFile = "ekml/meta";
constexpr const char *kOptimizerFile = "ekml/optimizer";
constexpr const char *kFormat = "ekml-checkpoint-1";

struct Failure {
    ekml_status status;
    std::string message;
};

ekml_status fail(ekml_status status, std::string message) {
    last_error = std::move(message);
    return status;
}

[[noreturn]] void raise(ekml_status status, std::string message) { throw Failure{status, std::move(message)}; }

template <class Body> ekml_status guarded(Body &&body) noexcept {
    try {
        last_error.clear();
        return body();
    } catch (const Failure &failure) {
        return fail(failure.status, failure.message);
    } catch (const c10::Error &error) {
        return fail(EKML_TORCH_ERROR, error.what_without_backtrace());
    } catch (const std::bad_alloc &) {
        return fail(EKML_TORCH_ERROR, "out of memory");
    } catch (const std::exception &error) {
        return fail(EKML_TORCH_ERROR, error.what());
    } catch (...) {
        return fail(EKML_TORCH_ERROR, "unknown C++ exception");
    }
}

// MARK: - Threads

using BLASThreadSetter = void (*)(int);

BLASThreadSetter openblas_thread_setter() {
    // Debian's libtorch calls OpenBLAS (through libblas.so.3), whose own thread pool ignores
    // at::set_num_threads; set it directly when the symbol is there.
    static BLASThreadSetter setter =
        reinterpret_cast<BLASThreadSetter>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
    return setter;
}

// Prepares the calling thread for a compute call of a model with `threads` intra-op threads.
//
// The TorchScript graph executor's optimizing passes (profiling runs, then differentiable subgraphs)
// made CPU training of these conv nets slower than PyTorch eager, and switch numerics after a few
// runs. The switch is thread-local in libtorch, so it is set on every call: the interpreter then runs
// the same ATen kernels op by op, like eager mode, on whichever thread the caller uses.
void apply_threads(int threads) {
    if (threads < 1) raise(EKML_INVALID_ARGUMENT, "thread count must be at least 1, got " + std::to_string(threads));
    torch::jit::setGraphExecutorOptimize(false);
    // at::set_num_threads recreates libtorch's pthreadpool, so only call it on a change.
    if (at::get_num_threads() != threads) at::set_num_threads(threads);
    if (auto setter = openblas_thread_setter()) setter(threads);
}

// MARK: - Process-wide settings

// glibc returns large freed blocks to the kernel (munmap, heap trimming) and then page-faults them
// back in on the next step: activations of a few hundred KB to a few MB are allocated and freed every
// step. A fixed mmap threshold of 32 MB and a 128 MB trim threshold keep them in the heap (this cut
// the system time of a training loop from ~14 % to ~4 %). Applied once, before the first model
// exists; set EKYA_KEEP_MALLOC=1 to leave glibc's defaults alone.
void configure_process_once() {
    static std::once_flag once;
    std::call_once(once, [] {
        const char *keep = std::getenv("EKYA_KEEP_MALLOC");
        if (keep == nullptr || std::string(keep) != "1") {
            mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
            mallopt(M_TRIM_THRESHOLD, 128 * 1024 * 1024);
        }
    });
}

// MARK: - Model assembly

std::string fmt_double(double value) {
    std::ostringstream out;
    out.precision(17);
    out << value;
    return out.str();
}

torch::Tensor conv_weight(int64_t out_channels, int64_t in_channels, int64_t kernel) {
    auto weight = torch::empty({out_channels, in_channels, kernel, kernel});
    torch::nn::init::kaiming_normal_(weight, 0.0, torch::kFanOut, torch::kReLU);
    return weight;
}

void add_conv_bn(torch::jit::Module &module, const std::string &name, int64_t out_channels, int64_t in_channels,
                 int64_t kernel) {
    module.register_parameter(name, conv_weight(out_channels, in_channels, kernel), false);
    module.register_parameter(name + "_bn_weight", torch::ones({out_channels}), false);
    module.register_parameter(name + "_bn_bias", torch::zeros({out_channels}), false);
    module.register_buffer(name + "_bn_mean", torch::zeros({out_channels}));
    module.register_buffer(name + "_bn_var", torch::ones({out_channels}));
}

std::string conv_bn_source(const std::string &input, const std::string &name, int stride, int padding) {
    const std::string s = std::to_string(stride), p = std::to_string(padding);
    return "torch.batch_norm(torch.conv2d(" + input + ", self." + name + ", None, [" + s + ", " + s + "], [" + p +
           ", " + p + "], [1, 1], 1), self." + name + "_bn_weight, self." + name + "_bn_bias, self." + name +
           "_bn_mean, self." + name + "_bn_var, self.training, 0.1, 1e-05, False)";
}

torch::jit::Module make_module(const std::shared_ptr<torch::jit::CompilationUnit> &unit, const std::string &type) {
    torch::jit::Module module(c10::QualifiedName("__torch__.ekya." + type), unit, true);
    module.register_attribute("training", c10::BoolType::get(), true);
    return module;
}

torch::jit::Module make_block(const std::shared_ptr<torch::jit::CompilationUnit> &unit, const std::string &type,
                              int64_t in_channels, int64_t out_channels, int stride) {
    auto block = make_module(unit, type);
    add_conv_bn(block, "conv1", out_channels, in_channels, 3);
    add_conv_bn(block, "conv2", out_channels, out_channels, 3);
    const bool project = stride != 1 || in_channels != out_channels;
    if (project) add_conv_bn(block, "shortcut", out_channels, in_channels, 1);
    std::string src = "def forward(self, x):\n";
    src += "    out = torch.relu(" + conv_bn_source("x", "conv1", stride, 1) + ")\n";
    src += "    out = " + conv_bn_source("out", "conv2", 1, 1) + "\n";
    src += project ? "    identity = " + conv_bn_source("x", "shortcut", stride, 0) + "\n" : "    identity = x\n";
    src += "    return torch.relu(out + identity)\n";
    block.define(src);
    return block;
}

torch::jit::Module build_classifier(int in_channels, int num_classes, int stem_stride, int base_width, int stages,
                                    int blocks_per_stage, int head_hidden) {
    auto unit = std::make_shared<torch::jit::CompilationUnit>();
    auto root = make_module(unit, "Classifier");

    auto stem = make_module(unit, "Stem");
    add_conv_bn(stem, "conv", base_width, in_channels, 3);
    stem.define("def forward(self, x):\n    return torch.relu(" + conv_bn_source("x", "conv", stem_stride, 1) + ")\n");
    root.register_module("stem", stem);

    std::string root_src = "def forward(self, x):\n    x = self.stem.forward(x)\n";
    int64_t channels = base_width;
    for (int stage_index = 1; stage_index <= stages; ++stage_index) {
        const int64_t width = static_cast<int64_t>(base_width) << (stage_index - 1);
        auto stage = make_module(unit, "Stage" + std::to_string(stage_index));
        std::string stage_src = "def forward(self, x):\n";
        for (int block_index = 0; block_index < blocks_per_stage; ++block_index) {
            const int stride = (stage_index > 1 && block_index == 0) ? 2 : 1;
            const std::string name = "block" + std::to_string(block_index);
            stage.register_module(name, make_block(unit,
                                                   "Stage" + std::to_string(stage_index) + "Block" +
                                                       std::to_string(block_index),
                                                   channels, width, stride));
            stage_src += "    x = self." + name + ".forward(x)\n";
            channels = width;
        }
        stage_src += "    return x\n";
        stage.define(stage_src);
        const std::string stage_name = "stage" + std::to_string(stage_index);
        root.register_module(stage_name, stage);
        root_src += "    x = self." + stage_name + ".forward(x)\n";
    }

    // Ekya's 2-layer head: linear -> ReLU -> linear, PyTorch's default linear initialization.
    auto head = make_module(unit, "Head");
    auto linear = [&](const std::string &name, int64_t out_features, int64_t in_features) {
        auto weight = torch::empty({out_features, in_features});
        torch::nn::init::kaiming_uniform_(weight, std::sqrt(5.0));
        const double bound = 1.0 / std::sqrt(static_cast<double>(in_features));
        head.register_parameter(name + "_weight", weight, false);
        head.register_parameter(name + "_bias", torch::empty({out_features}).uniform_(-bound, bound), false);
    };
    linear("fc1", head_hidden, channels);
    linear("fc2", num_classes, head_hidden);
    head.define("def forward(self, x):\n"
                "    x = torch.relu(torch.addmm(self.fc1_bias, x, self.fc1_weight.t()))\n"
                "    return torch.addmm(self.fc2_bias, x, self.fc2_weight.t())\n");
    root.register_module("head", head);

    root_src += "    x = torch.mean(x, [2, 3])\n    return self.head.forward(x)\n";
    root.define(root_src);
    return root;
}

std::mutex &seed_mutex() {
    static std::mutex mutex;
    return mutex;
}

// MARK: - Files

std::string read_file(const std::string &path) {
    struct stat info {};
    if (::stat(path.c_str(), &info) != 0)
        raise(EKML_IO_ERROR, "cannot open '" + path + "': " + std::strerror(errno));
    if (S_ISDIR(info.st_mode)) raise(EKML_IO_ERROR, "'" + path + "' is a directory, not a model file");
    std::ifstream in(path, std::ios::binary);
    if (!in) raise(EKML_IO_ERROR, "cannot open '" + path + "': " + std::strerror(errno));
    std::ostringstream buffer;
    buffer << in.rdbuf();
    if (in.bad()) raise(EKML_IO_ERROR, "cannot read '" + path + "'");
    return buffer.str();
}

void write_file_atomically(const std::string &path, const std::string &bytes) {
    std::string temp = path + ".tmp-XXXXXX";
    int fd = ::mkstemp(temp.data());
    if (fd < 0) raise(EKML_IO_ERROR, "cannot create a temporary file next to '" + path + "': " + std::strerror(errno));
    size_t written = 0;
    while (written < bytes.size()) {
        ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const std::string reason = std::strerror(errno);
            ::close(fd);
            ::unlink(temp.c_str());
            raise(EKML_IO_ERROR, "cannot write '" + temp + "': " + reason);
        }
        written += static_cast<size_t>(n);
    }
    ::fchmod(fd, 0644);
    if (::fsync(fd) != 0 || ::close(fd) != 0) {
        const std::string reason = std::strerror(errno);
        ::unlink(temp.c_str());
        raise(EKML_IO_ERROR, "cannot flush '" + temp + "': " + reason);
    }
    if (::rename(temp.c_str(), path.c_str()) != 0) {
        const std::string reason = std::strerror(errno);
        ::unlink(temp.c_str());
        raise(EKML_IO_ERROR, "cannot rename '" + temp + "' to '" + path + "': " + reason);
    }
}

} // namespace

// MARK: - Handles

struct ekml_model {
    torch::jit::Module module;
    torch::Device device{torch::kCPU};
    int threads = 1;
    ekml_optimizer_kind optimizer_kind = EKML_OPTIMIZER_SGD;
    double learning_rate = 0.001;
    double momentum = 0.9;
    double weight_decay = 0.0;
    std::vector<std::string> frozen_prefixes;
    std::vector<std::string> parameter_names;
    std::vector<torch::Tensor> parameters;
    std::vector<torch::jit::Module> frozen_modules;
    std::unique_ptr<torch::optim::Optimizer> optimizer;

    bool is_frozen(const std::string &name) const {
        for (const auto &prefix : frozen_prefixes)
            if (name.compare(0, prefix.size(), prefix) == 0) return true;
        return false;
    }

    void refresh_parameters() {
        parameter_names.clear();
        parameters.clear();
        for (const auto &item : module.named_parameters(true)) {
            parameter_names.push_back(item.name);
            parameters.push_back(item.value);
        }
    }

    // Freezing (docs/ml-backend.md, "libtorch traps"): requires_grad off, gradients dropped, optimizer over trainable
    // parameters only, and modules whose parameters are all frozen stay in eval mode.
    void apply_freezing() {
        refresh_parameters();
        for (size_t i = 0; i < parameters.size(); ++i) {
            auto &parameter = parameters[i];
            const bool frozen = is_frozen(parameter_names[i]);
            parameter.requires_grad_(!frozen);
            if (frozen && parameter.grad().defined()) parameter.mutable_grad().reset();
        }
        frozen_modules.clear();
        for (const auto &item : module.named_modules()) {
            bool any = false, all_frozen = true;
            for (const auto &parameter : item.value.named_parameters(true)) {
                any = true;
                if (!is_frozen(item.name.empty() ? parameter.name : item.name + "." + parameter.name))
                    all_frozen = false;
            }
            if (any && all_frozen) frozen_modules.push_back(item.value);
        }
        rebuild_optimizer();
    }

    std::vector<torch::Tensor> trainable_parameters() const {
        std::vector<torch::Tensor> trainable;
        for (const auto &parameter : parameters)
            if (parameter.requires_grad()) trainable.push_back(parameter);
        return trainable;
    }

    void rebuild_optimizer() {
        auto trainable = trainable_parameters();
        if (trainable.empty()) {
            optimizer.reset();
            return;
        }
        if (optimizer_kind == EKML_OPTIMIZER_ADAM) {
            optimizer = std::make_unique<torch::optim::Adam>(
                trainable, torch::optim::AdamOptions(learning_rate).weight_decay(weight_decay));
        } else {
            optimizer = std::make_unique<torch::optim::SGD>(
                trainable, torch::optim::SGDOptions(learning_rate).momentum(momentum).weight_decay(weight_decay));
        }
    }

    void enter_training_mode() {
        module.train(true);
        for (auto &frozen : frozen_modules) frozen.train(false);
    }

    torch::Tensor logits(const torch::Tensor &input) {
        auto output = module.forward({input});
        if (!output.isTensor())
            raise(EKML_INVALID_ARGUMENT, "the model's forward must return one tensor of class scores, got " +
                                             output.tagKind());
        auto tensor = output.toTensor();
        if (tensor.dim() != 2 || tensor.size(0) != input.size(0))
            raise(EKML_INVALID_ARGUMENT, "the model's forward must return [batch, classes] scores, got shape " +
                                             c10::str(tensor.sizes()));
        return tensor;
    }

    std::string metadata() const {
        std::string meta = std::string("format=") + kFormat + "\n";
        meta += std::string("optimizer=") + (optimizer_kind == EKML_OPTIMIZER_ADAM ? "adam" : "sgd") + "\n";
        meta += "learning_rate=" + fmt_double(learning_rate) + "\n";
        meta += "momentum=" + fmt_double(momentum) + "\n";
        meta += "weight_decay=" + fmt_double(weight_decay) + "\n";
        for (const auto &prefix : frozen_prefixes) meta += "frozen=" + prefix + "\n";
        return meta;
    }
};

struct ekml_dataset {
    torch::Tensor images;
    torch::Tensor labels;
};

struct ekml_snapshot {
    std::vector<torch::Tensor> values;
};

namespace {

torch::Tensor resized(torch::Tensor images, int32_t resolution) {
    if (resolution < 0) raise(EKML_INVALID_ARGUMENT, "resolution must be >= 0, got " + std::to_string(resolution));
    if (resolution == 0 || (images.size(2) == resolution && images.size(3) == resolution)) return images;
    namespace F = torch::nn::functional;
    return F::interpolate(images, F::InterpolateFuncOptions()
                                      .size(std::vector<int64_t>{resolution, resolution})
                                      .mode(torch::kBilinear)
                                      .align_corners(false));
}

torch::Tensor index_tensor(const ekml_dataset *dataset, const int64_t *indices, int64_t count) {
    if (count <= 0) raise(EKML_INVALID_ARGUMENT, "a batch needs at least one image");
    if (indices == nullptr) raise(EKML_INVALID_ARGUMENT, "indices must not be null");
    const int64_t size = dataset->images.size(0);
    for (int64_t i = 0; i < count; ++i)
        if (indices[i] < 0 || indices[i] >= size)
            raise(EKML_INVALID_ARGUMENT,
                  "image index " + std::to_string(indices[i]) + " is outside the dataset (0..<" +
                      std::to_string(size) + ")");
    return torch::from_blob(const_cast<int64_t *>(indices), {count}, torch::kLong).clone();
}

std::vector<torch::Tensor> state_tensors(const torch::jit::Module &module) {
    std::vector<torch::Tensor> tensors;
    for (const auto &parameter : module.parameters(true)) tensors.push_back(parameter);
    for (const auto &buffer : module.buffers(true)) tensors.push_back(buffer);
    return tensors;
}

void predict_tensor(ekml_model *model, const torch::Tensor &images, int32_t resolution, int32_t batch_size,
                    int64_t *out_classes, float *out_confidences) {
    if (batch_size < 1) raise(EKML_INVALID_ARGUMENT, "batch size must be at least 1");
    if (out_classes == nullptr || out_confidences == nullptr)
        raise(EKML_INVALID_ARGUMENT, "output buffers must not be null");
    apply_threads(model->threads);
    c10::InferenceMode guard;
    model->module.eval();
    const int64_t count = images.size(0);
    for (int64_t start = 0; start < count; start += batch_size) {
        const int64_t end = std::min<int64_t>(count, start + batch_size);
        auto batch = resized(images.slice(0, start, end), resolution).to(model->device);
        auto probabilities = torch::softmax(model->logits(batch), 1);
        auto best = probabilities.max(1);
        auto confidences = std::get<0>(best).to(torch::kCPU, torch::kFloat).contiguous();
        auto classes = std::get<1>(best).to(torch::kCPU, torch::kLong).contiguous();
        std::memcpy(out_classes + start, classes.data_ptr<int64_t>(), sizeof(int64_t) * (end - start));
        std::memcpy(out_confidences + start, confidences.data_ptr<float>(), sizeof(float) * (end - start));
    }
}

std::string serialize_module(const ekml_model *model, bool with_training_state) {
    torch::jit::ExtraFilesMap extra;
    if (with_training_state) {
        extra[kMetaFile] = model->metadata();
        if (model->optimizer) {
            torch::serialize::OutputArchive archive;
            model->optimizer->save(archive);
            std::ostringstream bytes;
            archive.save_to(bytes);
            extra[kOptimizerFile] = bytes.str();
        }
    }
    std::ostringstream out;
    model->module.save(out, extra);
    return out.str();
}

void apply_metadata(ekml_model *model, const std::string &meta) {
    std::istringstream lines(meta);
    std::string line;
    bool format_seen = false;
    while (std::getline(lines, line)) {
        const auto equals = line.find('=');
        if (equals == std::string::npos) continue;
        const std::string key = line.substr(0, equals), value = line.substr(equals + 1);
        if (key == "format") {
            if (value != kFormat) raise(EKML_BAD_FILE, "unsupported checkpoint format '" + value + "'");
            format_seen = true;
        } else if (key == "optimizer") {
            if (value == "sgd") model->optimizer_kind = EKML_OPTIMIZER_SGD;
            else if (value == "adam") model->optimizer_kind = EKML_OPTIMIZER_ADAM;
            else raise(EKML_BAD_FILE, "unknown optimizer kind '" + value + "' in checkpoint");
        } else if (key == "learning_rate") {
            model->learning_rate = std::stod(value);
        } else if (key == "momentum") {
            model->momentum = std::stod(value);
        } else if (key == "weight_decay") {
            model->weight_decay = std::stod(value);
        } else if (key == "frozen") {
            model->frozen_prefixes.push_back(value);
        }
    }
    if (!format_seen) raise(EKML_BAD_FILE, "checkpoint metadata has no format line");
}

} // namespace

// MARK: - C API

extern "C" {

const char *ekml_last_error(void) { return last_error.c_str(); }

const char *ekml_torch_version(void) { return TORCH_VERSION; }

void ekml_cuda_synchronize(void) {
    try {
        if (torch::cuda::is_available()) torch::cuda::synchronize();
    } catch (...) {
    }
}

int ekml_cuda_is_available(void) {
    try {
        return torch::cuda::is_available() ? 1 : 0;
    } catch (...) {
        return 0;
    }
}

ekml_status ekml_set_num_threads(int32_t threads) {
    return guarded([&] {
        apply_threads(threads);
        return EKML_OK;
    });
}

ekml_status ekml_model_create(int32_t in_channels, int32_t num_classes, int32_t stem_stride, int32_t base_width,
                              int32_t stages,
                              int32_t blocks_per_stage, int32_t head_hidden, uint64_t seed,
                              ekml_model **out_model) {
    return guarded([&] {
        if (out_model == nullptr) raise(EKML_INVALID_ARGUMENT, "out_model must not be null");
        *out_model = nullptr;
        if (in_channels < 1 || num_classes < 2 || stem_stride < 1 || stem_stride > 2 || base_width < 1 || stages < 1 ||
            stages > 6 ||
            blocks_per_stage < 1 || head_hidden < 1)
            raise(EKML_INVALID_ARGUMENT,
                  "invalid architecture: channels " + std::to_string(in_channels) + ", classes " +
                      std::to_string(num_classes) + ", width " + std::to_string(base_width) + ", stages " +
                      std::to_string(stages) + ", blocks " + std::to_string(blocks_per_stage) + ", head " +
                      std::to_string(head_hidden) + ", stem stride " + std::to_string(stem_stride) +
                      " (need channels >= 1, classes >= 2, stem stride 1 or 2, 1...6 stages)");
        configure_process_once();
        auto model = std::make_unique<ekml_model>();
        {
            // The global generator seeds the initialization; serialize concurrent creations.
            std::lock_guard<std::mutex> lock(seed_mutex());
            torch::manual_seed(seed);
            torch::NoGradGuard no_grad;
            model->module =
                build_classifier(in_channels, num_classes, stem_stride, base_width, stages, blocks_per_stage, head_hidden);
        }
        model->apply_freezing();
        *out_model = model.release();
        return EKML_OK;
    });
}

ekml_status ekml_model_load(const char *path, ekml_model **out_model) {
    return guarded([&] {
        if (out_model == nullptr || path == nullptr) raise(EKML_INVALID_ARGUMENT, "path and out_model are required");
        *out_model = nullptr;
        const std::string bytes = read_file(path);
        if (bytes.empty()) raise(EKML_BAD_FILE, "'" + std::string(path) + "' is empty, not a model file");
        configure_process_once();
        auto model = std::make_unique<ekml_model>();
        torch::jit::ExtraFilesMap extra{{kMetaFile, ""}, {kOptimizerFile, ""}};
        try {
            std::istringstream stream(bytes);
            model->module = torch::jit::load(stream, torch::kCPU, extra);
        } catch (const c10::Error &error) {
            raise(EKML_BAD_FILE, "'" + std::string(path) +
                                     "' is not a readable TorchScript model or checkpoint (corrupt or truncated?): " +
                                     error.what_without_backtrace());
        }
        if (!model->module.find_method("forward"))
            raise(EKML_BAD_FILE, "'" + std::string(path) + "' has no forward method");
        if (!extra[kMetaFile].empty()) apply_metadata(model.get(), extra[kMetaFile]);
        model->apply_freezing();
        if (!extra[kOptimizerFile].empty() && model->optimizer) {
            try {
                std::istringstream stream(extra[kOptimizerFile]);
                torch::serialize::InputArchive archive;
                archive.load_from(stream);
                model->optimizer->load(archive);
            } catch (const c10::Error &error) {
                raise(EKML_BAD_FILE, "optimizer state in '" + std::string(path) +
                                         "' does not match the model: " + error.what_without_backtrace());
            }
        }
        *out_model = model.release();
        return EKML_OK;
    });
}

void ekml_model_destroy(ekml_model *model) { delete model; }

ekml_status ekml_model_set_device(ekml_model *model, const char *device) {
    return guarded([&] {
        if (model == nullptr || device == nullptr) raise(EKML_INVALID_ARGUMENT, "model and device are required");
        torch::Device parsed(torch::kCPU);
        try {
            parsed = torch::Device(device);
        } catch (const c10::Error &error) {
            raise(EKML_INVALID_ARGUMENT, "unknown device '" + std::string(device) + "' (use cpu or cuda:N)");
        }
        if (parsed.is_cuda() && !torch::cuda::is_available())
            raise(EKML_UNSUPPORTED, "device '" + std::string(device) +
                                        "' requested but this libtorch build sees no CUDA device (build with "
                                        "LIBTORCH pointing at a CUDA libtorch)");
        if (!parsed.is_cpu() && !parsed.is_cuda())
            raise(EKML_UNSUPPORTED, "device '" + std::string(device) + "' is not supported (use cpu or cuda:N)");
        model->module.to(parsed);
        model->device = parsed;
        model->apply_freezing();
        return EKML_OK;
    });
}

ekml_status ekml_model_set_threads(ekml_model *model, int32_t threads) {
    return guarded([&] {
        if (model == nullptr) raise(EKML_INVALID_ARGUMENT, "model is required");
        if (threads < 1) raise(EKML_INVALID_ARGUMENT, "thread count must be at least 1, got " + std::to_string(threads));
        model->threads = threads;
        return EKML_OK;
    });
}

ekml_status ekml_model_set_optimizer(ekml_model *model, ekml_optimizer_kind kind, double learning_rate,
                                     double momentum, double weight_decay) {
    return guarded([&] {
        if (model == nullptr) raise(EKML_INVALID_ARGUMENT, "model is required");
        if (kind != EKML_OPTIMIZER_SGD && kind != EKML_OPTIMIZER_ADAM)
            raise(EKML_INVALID_ARGUMENT, "unknown optimizer kind " + std::to_string(static_cast<int>(kind)));
        if (!(learning_rate > 0) || !std::isfinite(learning_rate))
            raise(EKML_INVALID_ARGUMENT, "learning rate must be positive, got " + fmt_double(learning_rate));
        if (!(momentum >= 0 && momentum < 1))
            raise(EKML_INVALID_ARGUMENT, "momentum must be in [0, 1), got " + fmt_double(momentum));
        if (!(weight_decay >= 0) || !std::isfinite(weight_decay))
            raise(EKML_INVALID_ARGUMENT, "weight decay must be >= 0, got " + fmt_double(weight_decay));
        model->optimizer_kind = kind;
        model->learning_rate = learning_rate;
        model->momentum = momentum;
        model->weight_decay = weight_decay;
        model->rebuild_optimizer();
        return EKML_OK;
    });
}

ekml_status ekml_model_get_optimizer(const ekml_model *model, ekml_optimizer_kind *out_kind,
                                     double *out_learning_rate, double *out_momentum, double *out_weight_decay) {
    return guarded([&] {
        if (model == nullptr || out_kind == nullptr || out_learning_rate == nullptr || out_momentum == nullptr ||
            out_weight_decay == nullptr)
            raise(EKML_INVALID_ARGUMENT, "model and outputs are required");
        *out_kind = model->optimizer_kind;
        *out_learning_rate = model->learning_rate;
        *out_momentum = model->momentum;
        *out_weight_decay = model->weight_decay;
        return EKML_OK;
    });
}

int32_t ekml_model_frozen_prefix_count(const ekml_model *model) {
    return model == nullptr ? 0 : static_cast<int32_t>(model->frozen_prefixes.size());
}

const char *ekml_model_frozen_prefix(const ekml_model *model, int32_t index) {
    if (model == nullptr || index < 0 || static_cast<size_t>(index) >= model->frozen_prefixes.size()) return nullptr;
    return model->frozen_prefixes[index].c_str();
}

ekml_status ekml_model_set_frozen_prefixes(ekml_model *model, const char *const *prefixes, int32_t count) {
    return guarded([&] {
        if (model == nullptr || count < 0 || (count > 0 && prefixes == nullptr))
            raise(EKML_INVALID_ARGUMENT, "model and prefixes are required");
        std::vector<std::string> list;
        for (int32_t i = 0; i < count; ++i) {
            if (prefixes[i] == nullptr) raise(EKML_INVALID_ARGUMENT, "prefix must not be null");
            std::string prefix(prefixes[i]);
            if (prefix.empty() || prefix.find('\n') != std::string::npos)
                raise(EKML_INVALID_ARGUMENT, "a frozen prefix must be non-empty and single-line");
            list.push_back(prefix);
        }
        model->frozen_prefixes = std::move(list);
        model->apply_freezing();
        return EKML_OK;
    });
}

int32_t ekml_model_parameter_count(const ekml_model *model) {
    return model == nullptr ? 0 : static_cast<int32_t>(model->parameters.size());
}

const char *ekml_model_parameter_name(const ekml_model *model, int32_t index) {
    if (model == nullptr || index < 0 || static_cast<size_t>(index) >= model->parameter_names.size()) return nullptr;
    return model->parameter_names[index].c_str();
}

int64_t ekml_model_parameter_numel(const ekml_model *model, int32_t index) {
    if (model == nullptr || index < 0 || static_cast<size_t>(index) >= model->parameters.size()) return -1;
    return model->parameters[index].numel();
}

int32_t ekml_model_parameter_is_trainable(const ekml_model *model, int32_t index) {
    if (model == nullptr || index < 0 || static_cast<size_t>(index) >= model->parameters.size()) return -1;
    return model->parameters[index].requires_grad() ? 1 : 0;
}

ekml_status ekml_model_read_parameter(const ekml_model *model, int32_t index, float *out, int64_t count) {
    return guarded([&] {
        if (model == nullptr || out == nullptr) raise(EKML_INVALID_ARGUMENT, "model and output are required");
        if (index < 0 || static_cast<size_t>(index) >= model->parameters.size())
            raise(EKML_INVALID_ARGUMENT, "no parameter at index " + std::to_string(index));
        auto values = model->parameters[index].detach().to(torch::kCPU, torch::kFloat).contiguous();
        if (count < values.numel())
            raise(EKML_INVALID_ARGUMENT, "output holds " + std::to_string(count) + " floats, parameter has " +
                                             std::to_string(values.numel()));
        std::memcpy(out, values.data_ptr<float>(), sizeof(float) * values.numel());
        return EKML_OK;
    });
}

int32_t ekml_model_buffer_count(const ekml_model *model) {
    if (model == nullptr) return 0;
    try {
        return static_cast<int32_t>(model->module.named_buffers(true).size());
    } catch (...) {
        return 0;
    }
}

const char *ekml_model_buffer_name(const ekml_model *model, int32_t index) {
    thread_local std::string name;
    if (model == nullptr || index < 0) return nullptr;
    try {
        int32_t i = 0;
        for (const auto &item : model->module.named_buffers(true)) {
            if (i++ == index) {
                name = item.name;
                return name.c_str();
            }
        }
    } catch (...) {
    }
    return nullptr;
}

ekml_status ekml_model_read_buffer(const ekml_model *model, int32_t index, float *out, int64_t count,
                                   int64_t *out_numel) {
    return guarded([&] {
        if (model == nullptr || out_numel == nullptr) raise(EKML_INVALID_ARGUMENT, "model and out_numel are required");
        int32_t i = 0;
        for (const auto &item : model->module.named_buffers(true)) {
            if (i++ != index) continue;
            auto values = item.value.detach().to(torch::kCPU, torch::kFloat).contiguous();
            *out_numel = values.numel();
            if (out != nullptr && count >= values.numel())
                std::memcpy(out, values.data_ptr<float>(), sizeof(float) * values.numel());
            else if (out != nullptr)
                raise(EKML_INVALID_ARGUMENT, "output holds " + std::to_string(count) + " floats, buffer has " +
                                                 std::to_string(values.numel()));
            return EKML_OK;
        }
        raise(EKML_INVALID_ARGUMENT, "no buffer at index " + std::to_string(index));
    });
}

ekml_status ekml_dataset_create(const float *pixels, const int64_t *labels, int64_t count, int32_t channels,
                                int32_t height, int32_t width, ekml_dataset **out_dataset) {
    return guarded([&] {
        if (out_dataset == nullptr) raise(EKML_INVALID_ARGUMENT, "out_dataset must not be null");
        *out_dataset = nullptr;
        if (pixels == nullptr || labels == nullptr || count < 1 || channels < 1 || height < 1 || width < 1)
            raise(EKML_INVALID_ARGUMENT, "a dataset needs at least one image with positive dimensions");
        auto dataset = std::make_unique<ekml_dataset>();
        dataset->images =
            torch::from_blob(const_cast<float *>(pixels), {count, channels, height, width}, torch::kFloat).clone();
        dataset->labels = torch::from_blob(const_cast<int64_t *>(labels), {count}, torch::kLong).clone();
        *out_dataset = dataset.release();
        return EKML_OK;
    });
}

void ekml_dataset_destroy(ekml_dataset *dataset) { delete dataset; }

ekml_status ekml_model_train_step(ekml_model *model, const ekml_dataset *dataset, const int64_t *indices,
                                  int32_t count, int32_t resolution, double *out_loss) {
    return guarded([&] {
        if (model == nullptr || dataset == nullptr || out_loss == nullptr)
            raise(EKML_INVALID_ARGUMENT, "model, dataset and out_loss are required");
        if (!model->optimizer)
            raise(EKML_INVALID_ARGUMENT, "every parameter is frozen; nothing to train");
        apply_threads(model->threads);
        auto selection = index_tensor(dataset, indices, count);
        auto images = resized(dataset->images.index_select(0, selection), resolution).to(model->device);
        auto labels = dataset->labels.index_select(0, selection).to(model->device);

        // BatchNorm updates running statistics during forward; keep them so that a NaN/inf step
        // leaves the model exactly as it was.
        std::vector<torch::Tensor> buffers, saved;
        for (const auto &buffer : model->module.buffers(true)) {
            buffers.push_back(buffer);
            saved.push_back(buffer.clone());
        }
        model->enter_training_mode();
        // Drop gradients instead of zeroing them (PyTorch 2's set_to_none default): backward then
        // hands its fresh gradient tensors over instead of adding them to zeros.
        for (auto &parameter : model->parameters)
            if (parameter.grad().defined()) parameter.mutable_grad().reset();
        auto loss = torch::nn::functional::cross_entropy(model->logits(images), labels);
        const double value = loss.item<double>();
        if (!std::isfinite(value)) {
            torch::NoGradGuard no_grad;
            for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved[i]);
            raise(EKML_NONFINITE_LOSS, "training loss became " + fmt_double(value) +
                                           "; the step was not applied (lower the learning rate or check the "
                                           "input data)");
        }
        loss.backward();
        model->optimizer->step();
        *out_loss = value;
        return EKML_OK;
    });
}

ekml_status ekml_model_predict_dataset(ekml_model *model, const ekml_dataset *dataset, const int64_t *indices,
                                       int64_t count, int32_t resolution, int32_t batch_size, int64_t *out_classes,
                                       float *out_confidences) {
    return guarded([&] {
        if (model == nullptr || dataset == nullptr) raise(EKML_INVALID_ARGUMENT, "model and dataset are required");
        auto selection = index_tensor(dataset, indices, count);
        predict_tensor(model, dataset->images.index_select(0, selection), resolution, batch_size, out_classes,
                       out_confidences);
        return EKML_OK;
    });
}

ekml_status ekml_model_predict(ekml_model *model, const float *pixels, int64_t count, int32_t channels,
                               int32_t height, int32_t width, int32_t resolution, int32_t batch_size,
                               int64_t *out_classes, float *out_confidences) {
    return guarded([&] {
        if (model == nullptr || pixels == nullptr) raise(EKML_INVALID_ARGUMENT, "model and pixels are required");
        if (count < 1 || channels < 1 || height < 1 || width < 1)
            raise(EKML_INVALID_ARGUMENT, "need at least one image with positive dimensions");
        auto images = torch::from_blob(const_cast<float *>(pixels), {count, channels, height, width}, torch::kFloat);
        predict_tensor(model, images, resolution, batch_size, out_classes, out_confidences);
        return EKML_OK;
    });
}

ekml_status ekml_snapshot_capture(const ekml_model *model, ekml_snapshot **out_snapshot) {
    return guarded([&] {
        if (model == nullptr || out_snapshot == nullptr) raise(EKML_INVALID_ARGUMENT, "model and output required");
        *out_snapshot = nullptr;
        auto snapshot = std::make_unique<ekml_snapshot>();
        for (const auto &tensor : state_tensors(model->module)) snapshot->values.push_back(tensor.detach().clone());
        *out_snapshot = snapshot.release();
        return EKML_OK;
    });
}

ekml_status ekml_snapshot_restore(ekml_model *model, const ekml_snapshot *snapshot) {
    return guarded([&] {
        if (model == nullptr || snapshot == nullptr) raise(EKML_INVALID_ARGUMENT, "model and snapshot required");
        auto targets = state_tensors(model->module);
        if (targets.size() != snapshot->values.size())
            raise(EKML_INVALID_ARGUMENT, "snapshot has " + std::to_string(snapshot->values.size()) +
                                             " tensors, model has " + std::to_string(targets.size()));
        for (size_t i = 0; i < targets.size(); ++i)
            if (!targets[i].sizes().equals(snapshot->values[i].sizes()))
                raise(EKML_INVALID_ARGUMENT, "snapshot does not match the model's structure");
        torch::NoGradGuard no_grad;
        for (size_t i = 0; i < targets.size(); ++i) targets[i].copy_(snapshot->values[i]);
        return EKML_OK;
    });
}

void ekml_snapshot_destroy(ekml_snapshot *snapshot) { delete snapshot; }

ekml_status ekml_model_save_checkpoint(const ekml_model *model, const char *path) {
    return guarded([&] {
        if (model == nullptr || path == nullptr) raise(EKML_INVALID_ARGUMENT, "model and path are required");
        write_file_atomically(path, serialize_module(model, true));
        return EKML_OK;
    });
}

ekml_status ekml_model_export_torchscript(const ekml_model *model, const char *path) {
    return guarded([&] {
        if (model == nullptr || path == nullptr) raise(EKML_INVALID_ARGUMENT, "model and path are required");
        auto *mutable_model = const_cast<ekml_model *>(model);
        mutable_model->module.eval();
        write_file_atomically(path, serialize_module(model, false));
        return EKML_OK;
    });
}

} // extern "C"
