package community
