import { otherNodeSuite } from '../support/otherNodes';

otherNodeSuite(1);
