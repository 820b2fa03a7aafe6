"""The caseworkers' console (工作台): web pages over the four services' APIs, with its own accounts."""
