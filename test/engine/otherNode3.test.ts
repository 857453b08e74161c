import { otherNodeSuite } from '../support/otherNodes';

otherNodeSuite(2);
