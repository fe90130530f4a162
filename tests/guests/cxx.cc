/* SPDX-License-Identifier: BSD-2-Clause */
/* iostream, std::string, exceptions and STL containers. */
#include <algorithm>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

static int
parse(const std::string &s)
{
	if (s.empty())
		throw std::invalid_argument("empty");
	return std::stoi(s);
}

int
main()
{
	std::vector<std::string> words = { "kvm", "varnish", "sandbox", "cache" };
	std::sort(words.begin(), words.end());
	std::map<std::string, size_t> lengths;
	for (const auto &w : words)
		lengths[w] = w.size();
	for (const auto &kv : lengths)
		std::cout << kv.first << "=" << kv.second << " ";
	std::cout << std::endl;
	try {
		parse("");
	} catch (const std::invalid_argument &e) {
		std::cout << "caught " << e.what() << std::endl;
	}
	std::cout << "sum=" << parse("40") + parse("2") << std::endl;
	return 0;
}
