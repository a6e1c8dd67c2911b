// The GPU check's driver: the project's libtorch shim (Sources/CEkyaML) on one device, measured without
// Swift (the device machine has no Swift toolchain). Prints one JSON object:
//   edge and teacher training throughput, edge inference throughput, and the share-enforcement error
//   and throughput cost of time slicing 3 training jobs at shares 0.5/0.3/0.2 by deficit round robin,
//   as the runtime's ShareExecutor does.
#include "CEkyaML.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <vector>

namespace {
using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
    return std::chrono::duration<double>(Clock::now() - start).count();
}

[[noreturn]] void fail(const char *what) {
    std::fprintf(stderr, "gpu-check: %s: %s\n", what, ekml_last_error());
    std::exit(1);
}

void check(ekml_status status, const char *what) {
    if (status != EKML_OK) fail(what);
}

struct Architecture {
    int width, stages, blocks, hidden;
};
const Architecture edge{16, 3, 1, 64};
const Architecture teacher{32, 3, 2, 1024};

ekml_model *make_model(const Architecture &a, const std::string &device, uint64_t seed) {
    ekml_model *model = nullptr;
    check(ekml_model_create(1, 10, 2, a.width, a.stages, a.blocks, a.hidden, seed, &model), "create a model");
    check(ekml_model_set_device(model, device.c_str()), "set the device");
    if (device == "cpu") check(ekml_model_set_threads(model, 1), "set threads");
    return model;
}

ekml_dataset *make_dataset(int64_t count) {
    std::mt19937 generator(1);
    std::uniform_real_distribution<float> pixel(0, 1);
    std::vector<float> pixels(count * 28 * 28);
    std::vector<int64_t> labels(count);
    for (auto &value : pixels) value = pixel(generator);
    for (int64_t i = 0; i < count; ++i) labels[i] = i % 10;
    ekml_dataset *dataset = nullptr;
    check(ekml_dataset_create(pixels.data(), labels.data(), count, 1, 28, 28, &dataset), "create a dataset");
    return dataset;
}

/// One training step of `batch` images; the loss read back synchronises the device.
double step(ekml_model *model, ekml_dataset *dataset, int64_t count, int64_t &cursor, int batch) {
    std::vector<int64_t> indices(batch);
    for (int i = 0; i < batch; ++i) indices[i] = (cursor + i) % count;
    cursor += batch;
    double loss = 0;
    auto start = Clock::now();
    check(ekml_model_train_step(model, dataset, indices.data(), batch, 0, &loss), "train a step");
    ekml_cuda_synchronize();
    return seconds_since(start);
}

double train_throughput(ekml_model *model, ekml_dataset *dataset, int64_t count, int batch, double budget) {
    int64_t cursor = 0;
    for (int i = 0; i < 5; ++i) step(model, dataset, count, cursor, batch);
    int steps = 0;
    auto start = Clock::now();
    while (seconds_since(start) < budget || steps < 10) {
        step(model, dataset, count, cursor, batch);
        ++steps;
    }
    return steps * batch / seconds_since(start);
}

double infer_throughput(ekml_model *model, ekml_dataset *dataset, int64_t count, double budget) {
    std::vector<int64_t> indices(count), classes(count);
    std::vector<float> confidences(count);
    for (int64_t i = 0; i < count; ++i) indices[i] = i;
    check(ekml_model_predict_dataset(model, dataset, indices.data(), count, 0, 64, classes.data(),
                                     confidences.data()),
          "warm up inference");
    int runs = 0;
    auto start = Clock::now();
    while (seconds_since(start) < budget || runs < 2) {
        check(ekml_model_predict_dataset(model, dataset, indices.data(), count, 0, 64, classes.data(),
                                         confidences.data()),
              "infer");
        ++runs;
    }
    return runs * count / seconds_since(start);
}
}  // namespace

int main(int argc, char **argv) {
    std::string device = "cpu";
    double budget = 3;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (std::strcmp(argv[i], "--device") == 0) device = argv[i + 1];
        if (std::strcmp(argv[i], "--seconds") == 0) budget = std::atof(argv[i + 1]);
    }
    if (device == "cpu") check(ekml_set_num_threads(1), "set threads");
    const int64_t count = 2048;
    const int batch = 32;
    ekml_dataset *dataset = make_dataset(count);

    ekml_model *edge_model = make_model(edge, device, 1);
    double edge_train = train_throughput(edge_model, dataset, count, batch, budget);
    double edge_infer = infer_throughput(edge_model, dataset, count, budget);
    ekml_model *teacher_model = make_model(teacher, device, 2);
    double teacher_train = train_throughput(teacher_model, dataset, count, batch, budget);
    double teacher_infer = infer_throughput(teacher_model, dataset, count, budget);

    // Three edge training jobs sliced at 0.5/0.3/0.2 by deficit round robin on 50 ms ticks: each tick a job
    // earns share × tick of budget; the backlogged job with the most budget runs a step, charged its
    // measured (synchronised) time; unused budget is not banked, overdrafts carry over.
    const double shares[3] = {0.5, 0.3, 0.2};
    ekml_model *jobs[3] = {make_model(edge, device, 11), make_model(edge, device, 12), make_model(edge, device, 13)};
    int64_t cursors[3] = {0, 0, 0};
    for (int j = 0; j < 3; ++j)
        for (int w = 0; w < 3; ++w) step(jobs[j], dataset, count, cursors[j], batch);
    double budget_left[3] = {0, 0, 0}, used[3] = {0, 0, 0};
    int steps[3] = {0, 0, 0};
    const double tick = 0.05;
    auto start = Clock::now();
    double now = 0;
    while (now < budget * 2) {
        for (int j = 0; j < 3; ++j) budget_left[j] = std::min(budget_left[j], 0.0) + shares[j] * tick;
        while (true) {
            int best = -1;
            for (int j = 0; j < 3; ++j)
                if (budget_left[j] > 0 && (best < 0 || budget_left[j] > budget_left[best])) best = j;
            if (best < 0) break;
            double seconds = step(jobs[best], dataset, count, cursors[best], batch);
            budget_left[best] -= seconds;
            used[best] += seconds;
            ++steps[best];
        }
        now = seconds_since(start);
    }
    double total_used = used[0] + used[1] + used[2];
    double share_error = 0;
    for (int j = 0; j < 3; ++j) share_error = std::max(share_error, std::fabs(used[j] / total_used - shares[j]));
    double sliced_img_s = (steps[0] + steps[1] + steps[2]) * batch / now;

    std::printf(
        "{\"device\": \"%s\", \"torch\": \"%s\", \"cuda_available\": %s, \"edge_train_img_s\": %.1f, "
        "\"edge_infer_img_s\": %.1f, \"teacher_train_img_s\": %.1f, \"teacher_infer_img_s\": %.1f, "
        "\"share_error_0.5_0.3_0.2\": %.4f, \"shares_achieved\": [%.4f, %.4f, %.4f], "
        "\"sliced_train_img_s\": %.1f, \"slicing_throughput_ratio\": %.3f}\n",
        device.c_str(), ekml_torch_version(), ekml_cuda_is_available() ? "true" : "false", edge_train, edge_infer,
        teacher_train, teacher_infer, share_error, used[0] / total_used, used[1] / total_used,
        used[2] / total_used, sliced_img_s, sliced_img_s / edge_train);
    return 0;
}
