"""EC2: snapshots by owner, default VPCs, route tables, network interfaces and Regions as on AWS."""

from __future__ import annotations

from scripts.emulator.extensions.registry import extension, wrap


@extension
def describe_snapshots_by_owner() -> None:
    """EC2 DescribeSnapshots with OwnerIds answers only those owners' snapshots: account ids,
    `self` (the caller's account) and `amazon`, as AWS does. moto ignored OwnerIds and answered
    every snapshot it holds, the ~1300 behind its public AMIs among them, so `OwnerIds=self`
    (aws-nuke's EC2Snapshot listing) took Amazon's snapshots for the account's own."""
    from moto.core.responses import ActionResult
    from moto.ec2.responses.elastic_block_store import ElasticBlockStore

    def describe_snapshots(response) -> ActionResult:
        backend = response.ec2_backend
        snapshots = backend.describe_snapshots(
            snapshot_ids=response._get_param("SnapshotIds", []),
            filters=response._filters_from_querystring(),
        )
        owners = {
            response.current_account if owner == "self" else owner
            for owner in response._get_param("OwnerIds", [])
        }
        if owners:
            snapshots = [
                s for s in snapshots if s.owner_id in owners or _owner_alias(backend, s) in owners
            ]
        return ActionResult({"Snapshots": snapshots})

    ElasticBlockStore.describe_snapshots = describe_snapshots


def _owner_alias(backend, snapshot) -> str | None:
    """A snapshot's owner alias is that of the AMI it backs (`amazon` for moto's public AMIs)."""
    ami = backend.amis.get(snapshot.from_ami) if snapshot.from_ami else None
    return ami.owner_alias if ami else None


@extension
def main_route_table_kept() -> None:
    """EC2 DeleteRouteTable refuses a VPC's main route table (DependencyViolation), as AWS does:
    it goes only with its VPC. moto deleted it, so an account sweep that keeps the default VPC
    looked clean on the emulator and fails on AWS."""
    from moto.ec2.exceptions import DependencyViolationError
    from moto.ec2.responses.route_tables import RouteTables

    def unless_main(delete_route_table):
        def delete_unless_main(response):
            route_table_id = response._get_param("RouteTableId")
            if response.ec2_backend.get_route_table(route_table_id).main_association_id:
                raise DependencyViolationError(
                    f"The routeTable '{route_table_id}' has dependencies and cannot be deleted."
                )
            return delete_route_table(response)

        return delete_unless_main

    wrap(RouteTables, "delete_route_table", unless_main)


@extension
def default_vpc_as_on_aws() -> None:
    """A region's default VPC comes with what AWS gives it: an attached internet gateway, the
    0.0.0.0/0 route to it in the main route table, and a DHCP options set (AmazonProvidedDNS,
    ec2.internal in us-east-1, <region>.compute.internal elsewhere). moto's had neither, so a
    sweep that must keep the default VPC's parts could not be tried here."""
    from moto.ec2.models.vpcs import VPCBackend

    def as_on_aws(create_default_vpc):
        def create_default_vpc_as_on_aws(backend):
            vpc = create_default_vpc(backend)
            gateway = backend.create_internet_gateway()
            backend.attach_internet_gateway(gateway.id, vpc.id)
            main = backend.describe_route_tables(
                filters={"vpc-id": vpc.id, "association.main": "true"}
            )
            backend.create_route(main[0].id, "0.0.0.0/0", gateway_id=gateway.id)
            region = backend.region_name
            domain = "ec2.internal" if region == "us-east-1" else f"{region}.compute.internal"
            options = backend.create_dhcp_options(
                domain_name_servers=["AmazonProvidedDNS"], domain_name=[domain]
            )
            backend.associate_dhcp_options(options, vpc)
            return vpc

        return create_default_vpc_as_on_aws

    wrap(VPCBackend, "create_default_vpc", as_on_aws)


@extension
def primary_network_interface_goes_with_instance() -> None:
    """EC2 RunInstances without NetworkInterfaces makes the primary network interface with
    DeleteOnTermination true, as AWS does, so it goes when the instance terminates. moto kept
    it attached to the terminated instance, where it can be neither detached nor deleted:
    aws-nuke ended "failed" on it."""
    from moto.ec2.models.instances import Instance

    def deleted_on_termination(prep_nics):
        def prep_nics_deleted_on_termination(instance, nic_spec, *args, **kwargs):
            prep_nics(instance, nic_spec, *args, **kwargs)
            if not nic_spec and 0 in instance.nics:
                instance.nics[0].delete_on_termination = True

        return prep_nics_deleted_on_termination

    wrap(Instance, "prep_nics", deleted_on_termination)


@extension
def regions_as_on_aws() -> None:
    """EC2 DescribeRegions answers as AWS does: the Regions of the caller's partition only (an
    `aws` account never sees China or GovCloud), each with its OptInStatus, and without
    AllRegions only those enabled for the account (opt-in Regions once enabled, account.py);
    RegionNames and the region-name, opt-in-status and endpoint filters as documented
    (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeRegions.html). moto
    listed every partition's Regions and called the opt-in ones enabled, so "every enabled
    Region" meant China, GovCloud and Regions no account has without opting in."""
    from moto.core.responses import ActionResult
    from moto.ec2.responses.availability_zones_and_regions import AvailabilityZonesAndRegions

    from scripts.emulator.extensions.account import partition_regions, region_opt_status

    statuses = {
        "ENABLED_BY_DEFAULT": "opt-in-not-required",
        "ENABLED": "opted-in",
        "DISABLED": "not-opted-in",
    }

    def describe_regions(response) -> ActionResult:
        names = response._get_param("RegionNames", [])
        every = response._get_bool_param("AllRegions", False)
        filters = response._filters_from_querystring()
        suffix = "amazonaws.com.cn" if response.partition == "aws-cn" else "amazonaws.com"
        regions = []
        for name in partition_regions(response.partition):
            region = {
                "RegionName": name,
                "Endpoint": f"ec2.{name}.{suffix}",
                "OptInStatus": statuses[
                    region_opt_status(response.current_account, response.partition, name)
                ],
            }
            if names and name not in names:
                continue
            if not names and not every and region["OptInStatus"] == "not-opted-in":
                continue
            if all(
                region[key] in values
                for key, values in (
                    ("RegionName", filters.get("region-name")),
                    ("OptInStatus", filters.get("opt-in-status")),
                    ("Endpoint", filters.get("endpoint")),
                )
                if values
            ):
                regions.append(region)
        return ActionResult({"Regions": regions})

    AvailabilityZonesAndRegions.describe_regions = describe_regions


@extension
def primary_network_interface_stays_attached() -> None:
    """EC2 DetachNetworkInterface refuses an instance's primary network interface (device index
    0) with OperationNotPermitted, as AWS does: it goes only with its instance. moto refused only
    an instance's last interface, so with a second one attached it detached the primary, and
    every later answer describing that instance failed (HTTP 500, KeyError in moto): aws-nuke,
    which detaches each interface before deleting it, could then not terminate the instance."""
    from moto.ec2.exceptions import LastEniDetachError
    from moto.ec2.models.elastic_network_interfaces import NetworkInterfaceBackend

    def unless_primary(detach_network_interface):
        def detach_unless_primary(backend, attachment_id: str) -> None:
            for eni in list(backend.enis.values()):
                if eni.attachment_id == attachment_id and eni.device_index == 0:
                    raise LastEniDetachError()
            return detach_network_interface(backend, attachment_id)

        return detach_unless_primary

    wrap(NetworkInterfaceBackend, "detach_network_interface", unless_primary)
