#include "ekya_vision.h"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <cstdio>
#include <exception>
#include <vector>

namespace {
const cv::HOGDescriptor &detector() {
    static const cv::HOGDescriptor hog = [] {
        cv::setNumThreads(1);
        cv::HOGDescriptor made;
        made.setSVMDetector(cv::HOGDescriptor::getDefaultPeopleDetector());
        return made;
    }();
    return hog;
}
}  // namespace

extern "C" int ekh_detect_people(const uint8_t *pixels, int width, int height, double upscale,
                                 double hit_threshold, ekh_box *boxes, int capacity, char *error,
                                 int error_size) {
    try {
        if (!pixels || width <= 0 || height <= 0 || upscale <= 0 || upscale > 4) {
            std::snprintf(error, error_size, "invalid image %dx%d or upscale %.2f", width, height, upscale);
            return -1;
        }
        cv::Mat image(height, width, CV_8UC1, const_cast<uint8_t *>(pixels));
        cv::Mat searched;
        if (upscale != 1) {
            cv::resize(image, searched, cv::Size(), upscale, upscale, cv::INTER_LINEAR);
        } else {
            searched = image;
        }
        std::vector<cv::Rect> found;
        std::vector<double> weights;
        detector().detectMultiScale(searched, found, weights, hit_threshold, cv::Size(8, 8), cv::Size(8, 8), 1.05,
                                    2.0, false);
        int written = 0;
        for (size_t index = 0; index < found.size() && written < capacity; ++index) {
            const cv::Rect &rect = found[index];
            boxes[written].x = static_cast<int>(rect.x / upscale);
            boxes[written].y = static_cast<int>(rect.y / upscale);
            boxes[written].width = static_cast<int>(rect.width / upscale);
            boxes[written].height = static_cast<int>(rect.height / upscale);
            boxes[written].score = index < weights.size() ? weights[index] : 0;
            ++written;
        }
        return static_cast<int>(found.size());
    } catch (const std::exception &exception) {
        std::snprintf(error, error_size, "OpenCV: %s", exception.what());
        return -1;
    }
}
