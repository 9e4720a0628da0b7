#!/usr/bin/perl
# mkgeolite.pl OUT - a small database in MaxMind's GeoLite2-Country layout
# ({"country":{"iso_code":..}}), written with MaxMind's own writer, so the
# tests check darkscope against that layout as well as ip-location-db's.
use strict;
use warnings;
use MaxMind::DB::Writer::Tree;

my $tree = MaxMind::DB::Writer::Tree->new(
    ip_version            => 6,
    record_size           => 24,
    database_type         => 'GeoLite2-Country',
    languages             => ['en'],
    description           => { en => 'darkscope test database' },
    map_key_type_callback => sub { $_[0] eq 'iso_code' ? 'utf8_string' : 'map' },
    alias_ipv6_to_ipv4    => 1,
);
my %nets = ('1.0.16.0/24' => 'KR', '8.8.8.0/24' => 'DE', '8.8.4.0/24' => 'FR',
            '2001:4860::/32' => 'NL');
while (my ($net, $cc) = each %nets) {
    $tree->insert_network($net, { country => { iso_code => $cc } });
}
open my $fh, '>:raw', $ARGV[0] or die "$ARGV[0]: $!";
$tree->write_tree($fh);
close $fh;
