// SPDX-License-Identifier: BSD-2-Clause
// Threads from C++: std::thread, std::mutex, std::condition_variable,
// std::async and std::future; a producer/consumer queue.  The output does
// not depend on the order threads run in.
#include <condition_variable>
#include <cstdio>
#include <future>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

static std::mutex m;
static std::condition_variable cv;
static std::queue<int> q;
static bool done;

static long
square_sum(int from, int to)
{
	long s = 0;
	for (int i = from; i < to; i++)
		s += (long)i * i;
	return s;
}

int
main()
{
	long consumed = 0;
	std::thread consumer([&] {
		for (;;) {
			std::unique_lock<std::mutex> lk(m);
			cv.wait(lk, [] { return !q.empty() || done; });
			if (q.empty())
				return;
			consumed += q.front();
			q.pop();
		}
	});
	std::vector<std::thread> producers;
	for (int p = 0; p < 3; p++)
		producers.emplace_back([p] {
			for (int i = 1; i <= 100; i++) {
				std::lock_guard<std::mutex> lk(m);
				q.push(i * (p + 1));
				cv.notify_one();
			}
		});
	for (auto &t : producers)
		t.join();
	{
		std::lock_guard<std::mutex> lk(m);
		done = true;
	}
	cv.notify_all();
	consumer.join();
	std::printf("consumed %ld\n", consumed);

	std::vector<std::future<long>> parts;
	for (int k = 0; k < 4; k++)
		parts.push_back(std::async(std::launch::async, square_sum,
		    k * 250, (k + 1) * 250));
	long total = 0;
	for (auto &f : parts)
		total += f.get();
	std::printf("async total %ld\n", total);
	auto deferred = std::async(std::launch::deferred, square_sum, 0, 10);
	std::printf("deferred %ld\n", deferred.get());
	return 0;
}
